from __future__ import annotations

from django.db import models


class Agency(models.Model):
    """A partner organisation: police force, NHS body, council, school trust ..."""

    class Kind(models.TextChoices):
        POLICE = "police"
        HEALTH = "health"
        COUNCIL = "council"
        FIRE = "fire"
        EDUCATION = "education"
        PROBATION = "probation"
        HOUSING = "housing"
        VOLUNTARY = "voluntary"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name
