"""Releases of a dataset and the periods values cover. Values themselves live in the
partitioned table `layers_value` (migration 0006), written and read with SQL only."""

from __future__ import annotations

from django.db import models

from layers.models.geography import new_public_id


class Period(models.Model):
    """A normalised period (layers.domain.periods): `2024`, `2024/25`, `2024-Q3`, `2024-03`."""

    code = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16)
    start_on = models.DateField()
    end_on = models.DateField()

    class Meta:
        ordering = ["start_on", "end_on"]

    def __str__(self) -> str:
        return self.code


class Release(models.Model):
    """One upload of a dataset. At most one release of a dataset is published (current)."""

    class Status(models.TextChoices):
        VALIDATING = "validating"
        REJECTED = "rejected"
        PUBLISHED = "published"
        SUPERSEDED = "superseded"
        WITHDRAWN = "withdrawn"

    # The release's name in URLs and in everything a reader receives: random, so it says
    # nothing about how many releases every agency has published (the row id would).
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    dataset = models.ForeignKey("layers.Dataset", on_delete=models.PROTECT, related_name="releases")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALIDATING)
    uploaded_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_size = models.BigIntegerField(default=0)
    stored_path = models.CharField(max_length=500)
    file_format = models.CharField(max_length=16, blank=True, default="")
    n_rows = models.PositiveIntegerField(default=0)
    n_values = models.PositiveIntegerField(default=0)
    n_problems = models.PositiveIntegerField(default=0)
    n_warnings = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    conversion_method = models.CharField(max_length=32, blank=True, default="")
    progress = models.PositiveIntegerField(default=0, help_text="rows read so far")
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset"],
                condition=models.Q(status="published"),
                name="release_one_published_per_dataset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug} release {self.id} ({self.status})"
