"""The partnership's priorities (performance review): an indicator with the direction
the partnership wants it to move, and optional targets per area."""

from __future__ import annotations

from django.db import models

from layers.models.dataset import Indicator

PARTNERSHIP_LEVEL = "partnership"


class Priority(models.Model):
    """One priority of the partnership, e.g. "reduce residential burglary". `polarity`
    overrides the indicator's (blank: the indicator's own); `owner` is the agency that
    leads on it (blank: partnership-wide)."""

    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="priorities")
    polarity = models.CharField(
        max_length=20,
        choices=Indicator.Polarity.choices,
        blank=True,
        default="",
        help_text="blank: the indicator's own polarity",
    )
    owner = models.ForeignKey(
        "layers.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="priorities",
        help_text="the lead agency; blank for a partnership-wide priority",
    )
    display_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "title"]
        verbose_name_plural = "priorities"

    def __str__(self) -> str:
        return self.title

    @property
    def effective_polarity(self) -> str:
        return self.polarity or self.indicator.polarity


class PriorityTarget(models.Model):
    """A target for one area (a level and GSS code) or for the partnership area as a
    whole (level `partnership`, no code): the figure at most or at least `value`, by a
    period and/or a date."""

    class Comparison(models.TextChoices):
        AT_MOST = "at_most", "at most"
        AT_LEAST = "at_least", "at least"

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="targets")
    level = models.CharField(
        max_length=32, help_text="a level slug (e.g. lad19), or 'partnership' for the whole area"
    )
    area_code = models.CharField(max_length=32, blank=True, default="")
    value = models.FloatField()
    comparison = models.CharField(max_length=10, choices=Comparison.choices)
    period_code = models.CharField(
        max_length=32, blank=True, default="", help_text="the period it is due by, e.g. 2026-03"
    )
    due_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "level", "area_code"], name="priority_target_unique_area"
            ),
            models.CheckConstraint(
                condition=(models.Q(level=PARTNERSHIP_LEVEL, area_code=""))
                | (~models.Q(level=PARTNERSHIP_LEVEL) & ~models.Q(area_code="")),
                name="priority_target_area_matches_level",
            ),
        ]
        ordering = ["priority", "level", "area_code"]

    def __str__(self) -> str:
        where = (
            "partnership" if self.level == PARTNERSHIP_LEVEL else f"{self.level} {self.area_code}"
        )
        return f"{self.priority}: {self.get_comparison_display()} {self.value:g} ({where})"
