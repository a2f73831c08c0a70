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


class Membership(models.Model):
    """A user's role in an agency. A user may belong to several agencies."""

    class Role(models.TextChoices):
        ANALYST = "analyst"
        NEIGHBOURHOOD_MANAGER = "neighbourhood_manager"
        DATA_STEWARD = "data_steward"
        INFORMATION_MANAGER = "information_manager"
        SERVICE = "service"

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    default_purpose = models.CharField(
        max_length=64, blank=True, default="", help_text="for service accounts: the API default"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} at {self.agency}"
