"""Profiles of many areas at once: a job the background worker turns into one ZIP."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from layers.models.geography import new_public_id


class ProfileExportJob(models.Model):
    """One request for the profiles of several areas. The ZIP is kept outside the web
    root (settings.EXPORT_STORE) and handed only to the user who asked, for a while."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id)
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=64, blank=True, default="")
    level = models.CharField(max_length=16, help_text="a level slug, or custom")
    within = models.CharField(max_length=16, blank=True, default="")
    description = models.CharField(max_length=300)
    codes = ArrayField(models.CharField(max_length=32))
    formats = ArrayField(models.CharField(max_length=8))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    n_total = models.PositiveIntegerField(default=0)
    n_done = models.PositiveIntegerField(default=0)
    n_refused = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    file_name = models.CharField(max_length=200, blank=True, default="")
    file_size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.description} ({self.status})"
