"""Evidence of impact: the products analysts make from the portal's figures (a tasking
briefing, a funding bid ...), the audited reads each one used, and its outcome."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from layers.models.geography import new_public_id


class Product(models.Model):
    """An analyst's piece of work, the meeting or decision it served, and (later) what came
    of it. Seen only by members of the agency it was made for."""

    class Kind(models.TextChoices):
        TASKING_BRIEFING = "tasking_briefing", "Tasking briefing"
        STRATEGIC_ASSESSMENT = "strategic_assessment", "Strategic assessment"
        PROBLEM_PROFILE = "problem_profile", "Problem profile"
        FUNDING_BID = "funding_bid", "Funding bid"
        BOARD_REPORT = "board_report", "Board report"
        OTHER = "other", "Other"

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    agency = models.ForeignKey("layers.Agency", on_delete=models.PROTECT, related_name="products")
    author = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_on = models.DateField(help_text="the date of the product")
    summary = models.TextField(blank=True, default="")
    served = models.CharField(
        max_length=300, blank=True, default="", help_text="the meeting or decision it served"
    )
    served_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True, default="")
    outcome_on = models.DateField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Demo products are SIMULATED and say so wherever they are shown.
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-made_on", "-id"]
        indexes = [models.Index(fields=["agency", "made_on"])]

    def __str__(self) -> str:
        return self.title


class ProductSource(models.Model):
    """One group of the author's own audited reads a product used, linked by its most recent
    read. What was read (dataset, indicator, level, periods, area) and under which
    agreements is copied from the audit event, so the product and the agreement usage
    report read it without unpacking the event's detail."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="sources")
    # No database constraint, like the audit table's own links: the append-only table is
    # referenced by nothing (its trigger, not a foreign key, is what keeps rows there).
    event = models.ForeignKey(
        "layers.AuditEvent", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    read_at = models.DateTimeField()
    action = models.CharField(max_length=48)
    dataset = models.ForeignKey(
        "layers.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    indicators = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    level = models.CharField(max_length=16, blank=True, default="")
    periods = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    area = models.CharField(max_length=32, blank=True, default="")
    uses = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    agreements = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    n_reads = models.PositiveIntegerField(default=1, help_text="reads in the group picked")

    class Meta:
        ordering = ["-read_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "event"], name="productsource_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product} <- event {self.event_id}"
