"""Sharing agreements, versioned: an edit makes a new version; old ones stay readable."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from layers.domain.access import AgreementStatus, Role, Use
from layers.domain.disclosure.policy import WardMethod, ZeroPolicy
from layers.storage import agreement_document_path, document_storage


class LegalBasis(models.TextChoices):
    CRIME_AND_DISORDER_ACT_1998_S115 = (
        "crime_and_disorder_act_1998_s115",
        "Crime and Disorder Act 1998, s115",
    )
    DIGITAL_ECONOMY_ACT_2017_PART5 = (
        "digital_economy_act_2017_part5",
        "Digital Economy Act 2017, Part 5",
    )
    CONSENT = "consent", "Consent"
    PUBLIC_TASK = "public_task", "UK GDPR Art. 6(1)(e) public task"
    OTHER = "other", "Other (see text)"


class Agreement(models.Model):
    """The stable identity of an agreement; its terms live in its versions."""

    reference = models.CharField(max_length=64, unique=True)
    provider = models.ForeignKey(
        "layers.Agency", on_delete=models.PROTECT, related_name="agreements_provided"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference

    @property
    def current(self) -> AgreementVersion:
        return self.versions.order_by("-version").first()  # type: ignore[return-value]


class AgreementVersion(models.Model):
    """The terms of an agreement as they stood from `created_at` until the next version."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    recipients = models.ManyToManyField("layers.Agency", related_name="agreements_received")
    datasets = models.ManyToManyField("layers.Dataset", related_name="agreement_versions")
    purposes = ArrayField(models.SlugField(max_length=64))
    legal_basis = models.CharField(max_length=64, choices=LegalBasis.choices)
    legal_basis_text = models.TextField(blank=True, default="")
    roles = ArrayField(models.CharField(max_length=32, choices=[(r.value, r.value) for r in Role]))
    finest_level = models.ForeignKey(
        "layers.GeographyLevel", on_delete=models.PROTECT, related_name="+"
    )
    uses = ArrayField(models.CharField(max_length=8, choices=[(u.value, u.value) for u in Use]))
    # The disclosure policy (DISCLOSURE.md section 3), versioned with the agreement.
    min_count = models.PositiveIntegerField(default=10)
    round_to = models.PositiveIntegerField(default=5, help_text="0 means no rounding")
    min_denominator = models.PositiveIntegerField(default=100)
    zero_policy = models.CharField(
        max_length=32, choices=[(z.value, z.value) for z in ZeroPolicy], default="publish"
    )
    secondary = models.BooleanField(default=True)
    ward_method = models.CharField(
        max_length=24,
        choices=[(w.value, w.value) for w in WardMethod],
        default=WardMethod.SUM_OF_PUBLISHED.value,
        help_text="wards from published LSOAs only (default), or inside the protected system",
    )
    marking = models.CharField(max_length=64, default="OFFICIAL-SENSITIVE")
    starts_on = models.DateField()
    ends_on = models.DateField()
    review_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in AgreementStatus], default="draft"
    )
    signatories = models.TextField(blank=True, default="")
    # Kept outside the web root (layers/storage.py); read only through the download view.
    signed_document = models.FileField(
        upload_to=agreement_document_path, storage=document_storage, blank=True, max_length=200
    )
    change_note = models.CharField(max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "version"], name="agreement_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="agreement_ends_after_start",
            ),
        ]
        ordering = ["agreement", "-version"]

    def __str__(self) -> str:
        return f"{self.agreement.reference} v{self.version}"
