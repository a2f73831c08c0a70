"""Datasets an agency publishes, and the indicators in them (DESIGN.md "Domain")."""

from __future__ import annotations

from django.db import models


class Dataset(models.Model):
    class Theme(models.TextChoices):
        CRIME = "crime"
        HEALTH = "health"
        EDUCATION = "education"
        DEPRIVATION = "deprivation"
        OTHER = "other"

    slug = models.SlugField(max_length=64, unique=True)
    owner = models.ForeignKey("layers.Agency", on_delete=models.PROTECT, related_name="datasets")
    theme = models.CharField(max_length=16, choices=Theme.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    source = models.CharField(max_length=300, blank=True, default="")
    licence = models.CharField(max_length=200, blank=True, default="")
    level = models.ForeignKey(
        "layers.GeographyLevel",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the level the data arrives at",
    )
    is_simulated = models.BooleanField(
        default=False, help_text="synthetic figures, labelled as such wherever they appear"
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    class Measure(models.TextChoices):
        COUNT = "count"
        RATE = "rate"
        PERCENTAGE = "percentage"
        SCORE = "score"
        RANK = "rank"

    class Polarity(models.TextChoices):
        HIGHER_IS_BETTER = "higher_is_better"
        LOWER_IS_BETTER = "lower_is_better"
        NEUTRAL = "neutral"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="indicators")
    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    measure = models.CharField(max_length=16, choices=Measure.choices)
    unit = models.CharField(max_length=64, blank=True, default="")
    polarity = models.CharField(max_length=20, choices=Polarity.choices, default=Polarity.NEUTRAL)
    is_summable = models.BooleanField(
        default=False, help_text="values may be added up across areas (counts)"
    )
    multiplier = models.PositiveIntegerField(
        default=1, help_text="rates: per how many (e.g. 1000 for a rate per 1,000)"
    )
    denominator_indicator = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="counts: the indicator whose figures give each area's expected count "
        "(e.g. all crime -> population), for scanning",
    )

    class Meta:
        constraints = [
            # The API names an indicator by its slug alone (/api/v1/indicators/{slug}/).
            models.UniqueConstraint(fields=["slug"], name="indicator_unique_slug"),
        ]
        ordering = ["dataset", "slug"]

    def __str__(self) -> str:
        return self.name
