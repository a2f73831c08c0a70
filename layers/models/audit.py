"""The audit trail: append-only, enforced by a database trigger (migration 0004)."""

from __future__ import annotations

import json

from django.db import models


class AuditEvent(models.Model):
    """Who did what, under which agreement, and how many values went out or were withheld."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, default="")
    agency = models.ForeignKey(
        "layers.Agency",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=48, db_index=True)
    outcome = models.CharField(max_length=48, blank=True, default="")
    dataset = models.ForeignKey(
        "layers.Dataset",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    level = models.CharField(max_length=16, blank=True, default="")
    agreement_ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    agreement_version = models.PositiveIntegerField(null=True, blank=True)
    use = models.CharField(max_length=8, blank=True, default="")
    purpose = models.CharField(max_length=64, blank=True, default="")
    n_returned = models.PositiveIntegerField(default=0)
    n_withheld = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agency", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    @property
    def detail_text(self) -> str:
        """The detail as one line of JSON, keys sorted (the pages and the CSV show this)."""
        return json.dumps(self.detail, sort_keys=True, ensure_ascii=False) if self.detail else ""
