"""Protected tables: the released cells of one (release, indicator, period) under one
disclosure policy and finest level, computed once and kept (DISCLOSURE.md 4, step 7)."""

from __future__ import annotations

from django.db import models


class ProtectedTable(models.Model):
    release = models.ForeignKey(
        "layers.Release", on_delete=models.CASCADE, related_name="protected_tables"
    )
    indicator = models.ForeignKey("layers.Indicator", on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey("layers.Period", on_delete=models.PROTECT, related_name="+")
    policy_key = models.CharField(max_length=64)
    finest_level = models.ForeignKey(
        "layers.GeographyLevel", on_delete=models.PROTECT, related_name="+"
    )
    # {level slug: {area code: [value or null, status, public reason or null, rounded_to]}}
    cells = models.JSONField()
    # Internal only: why each withheld cell is withheld, and the audit report. Never
    # serialised to a user: information managers read it through the admin.
    protection = models.JSONField(default=dict)
    report = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "indicator", "period", "policy_key", "finest_level"],
                name="protectedtable_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"release {self.release_id} {self.indicator_id} {self.period_id} {self.policy_key}"
