"""Verb functions over sharing agreements. Every change makes a new version and an audit
event in the same transaction; nothing edits a version in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.text import slugify

from layers import audit
from layers.domain.access import AgreementStatus
from layers.models import (
    Agency,
    Agreement,
    AgreementVersion,
    AuditEvent,
    Dataset,
    GeographyLevel,
    Membership,
)
from layers.protection import protect_after_commit
from layers.queries import current_versions
from layers.storage import DOCUMENT_KINDS

TERM_FIELDS = (
    "title",
    "recipients",
    "datasets",
    "purposes",
    "legal_basis",
    "legal_basis_text",
    "roles",
    "finest_level",
    "uses",
    "min_count",
    "round_to",
    "min_denominator",
    "zero_policy",
    "secondary",
    "ward_method",
    "starts_on",
    "ends_on",
    "review_on",
    "status",
    "signatories",
    "marking",
)


def terms_of_version(version: AgreementVersion) -> dict[str, Any]:
    """The terms of a version as plain data (slugs for related records), comparable."""
    return {
        "title": version.title,
        "recipients": sorted(a.slug for a in version.recipients.all()),
        "datasets": sorted(d.slug for d in version.datasets.all()),
        "purposes": sorted(version.purposes),
        "legal_basis": version.legal_basis,
        "legal_basis_text": version.legal_basis_text,
        "roles": sorted(version.roles),
        "finest_level": version.finest_level.slug,
        "uses": sorted(version.uses),
        "min_count": version.min_count,
        "round_to": version.round_to,
        "min_denominator": version.min_denominator,
        "zero_policy": version.zero_policy,
        "secondary": version.secondary,
        "ward_method": version.ward_method,
        "starts_on": version.starts_on,
        "ends_on": version.ends_on,
        "review_on": version.review_on,
        "status": version.status,
        "signatories": version.signatories,
        "marking": version.marking,
    }


def save_agreement_version(
    agreement: Agreement,
    terms: dict[str, Any],
    *,
    acting_user: User | None,
    note: str,
    signed_document: Any = None,
) -> AgreementVersion:
    """Write `terms` as the agreement's next version, with its audit event."""
    latest = agreement.versions.order_by("-version").first()
    document = (
        signed_document
        if signed_document is not None
        else (latest.signed_document if latest else "")
    )
    version = AgreementVersion.objects.create(
        agreement=agreement,
        version=(latest.version + 1) if latest else 1,
        finest_level=GeographyLevel.objects.get(slug=terms["finest_level"]),
        change_note=note[:300],
        created_by=acting_user,
        signed_document=document,
        **{k: terms[k] for k in TERM_FIELDS if k not in {"recipients", "datasets", "finest_level"}},
    )
    version.recipients.set(Agency.objects.filter(slug__in=terms["recipients"]))
    version.datasets.set(Dataset.objects.filter(slug__in=terms["datasets"]))
    # New terms may mean a new policy or finest level: tables for it, ahead of reads.
    protect_after_commit(list(version.datasets.values_list("id", flat=True)))
    audit.record(
        action="agreement.version_created",
        user=acting_user,
        agency_id=agreement.provider_id,
        agreement_ref=agreement.reference,
        agreement_version=version.version,
        detail={"note": note[:300], "status": version.status},
    )
    return version


@transaction.atomic
def create_agreement(
    *,
    reference: str,
    provider: Agency,
    terms: dict[str, Any],
    acting_user: User | None,
    signed_document: Any = None,
) -> Agreement:
    agreement = Agreement.objects.create(reference=reference, provider=provider)
    save_agreement_version(
        agreement, terms, acting_user=acting_user, note="created", signed_document=signed_document
    )
    return agreement


@transaction.atomic
def edit_agreement(
    agreement: Agreement,
    terms: dict[str, Any],
    *,
    acting_user: User | None,
    note: str,
    signed_document: Any = None,
) -> AgreementVersion | None:
    """A new version when the terms changed (or a new document came); None when not."""
    current = agreement.current
    if terms_of_version(current) == terms and signed_document is None:
        return None
    return save_agreement_version(
        agreement, terms, acting_user=acting_user, note=note, signed_document=signed_document
    )


@transaction.atomic
def suspend_agreement(
    agreement: Agreement, *, reason: str, acting_user: User | None
) -> AgreementVersion:
    terms = {**terms_of_version(agreement.current), "status": AgreementStatus.SUSPENDED.value}
    return save_agreement_version(
        agreement, terms, acting_user=acting_user, note=f"suspended: {reason}"
    )


@transaction.atomic
def renew_agreement(
    agreement: Agreement, *, ends_on: date, review_on: date | None, acting_user: User | None
) -> AgreementVersion:
    terms = {
        **terms_of_version(agreement.current),
        "ends_on": ends_on,
        "review_on": review_on,
        "status": AgreementStatus.ACTIVE.value,
    }
    return save_agreement_version(
        agreement, terms, acting_user=acting_user, note=f"renewed until {ends_on}"
    )


@dataclass(frozen=True, slots=True)
class Document:
    handle: Any  # an open binary file
    filename: str  # safe to send: built from the reference and version, never the upload's name
    content_type: str


def open_signed_document(version: AgreementVersion, *, reader: User) -> Document | None:
    """Open the signed document of one version for a reader who may see the agreement (the
    caller has checked), recording the download. None when the version has no document."""
    if not version.signed_document:
        return None
    try:
        handle = version.signed_document.storage.open(version.signed_document.name, "rb")
    except FileNotFoundError:
        return None
    suffix = Path(version.signed_document.name).suffix.lower()
    content_type = DOCUMENT_KINDS[suffix][1] if suffix in DOCUMENT_KINDS else ""
    reference = version.agreement.reference
    audit.record(
        action="agreement.document_downloaded",
        user=reader,
        agency_id=audit.home_agency_id(reader),
        agreement_ref=reference,
        agreement_version=version.version,
    )
    return Document(
        handle=handle,
        filename=f"{slugify(reference)}-v{version.version}-signed"
        + (suffix if content_type else ""),
        content_type=content_type or "application/octet-stream",
    )


def managed_agency_ids(user: User) -> set[int]:
    """Agencies in which `user` is an information manager."""
    return set(
        Membership.objects.filter(user=user, role=Membership.Role.INFORMATION_MANAGER).values_list(
            "agency_id", flat=True
        )
    )


def visible_agreements(user: User) -> QuerySet[Agreement]:
    """Agreements an information manager may see: their agencies provide or receive."""
    agencies = managed_agency_ids(user)
    received = current_versions().filter(recipients__id__in=agencies).values("agreement_id")
    return Agreement.objects.filter(Q(provider_id__in=agencies) | Q(id__in=received)).distinct()


@dataclass(frozen=True, slots=True)
class Due:
    version: AgreementVersion
    what: str  # "expires" or "review"
    on: date


def agreements_due(
    agreements: QuerySet[Agreement], *, on: date, within_days: int = 90
) -> list[Due]:
    """Current versions that expire or are due for review between `on` and `on + within_days`
    (overdue reviews included), soonest first."""
    horizon = on + timedelta(days=within_days)
    due: list[Due] = []
    versions = (
        current_versions()
        .filter(agreement__in=agreements)
        .exclude(status=AgreementStatus.EXPIRED.value)
        .select_related("agreement")
    )
    for version in versions:
        if on <= version.ends_on <= horizon:
            due.append(Due(version, "expires", version.ends_on))
        if version.review_on is not None and version.review_on <= horizon:
            due.append(Due(version, "review", version.review_on))
    return sorted(due, key=lambda d: (d.on, d.version.agreement.reference, d.what))


def usage_of(agreement: Agreement) -> list[dict[str, Any]]:
    """Who has used an agreement and how: reads per user, agency, use and action."""
    return list(
        AuditEvent.objects.filter(agreement_ref=agreement.reference)
        .exclude(action__startswith="agreement.")
        .values("username", "agency__name", "action", "use", "purpose")
        .annotate(n=Count("id"), n_returned=Sum("n_returned"), last=Max("at"))
        .order_by("-last")
    )


def purposes_for(user: User) -> list[str]:
    """The purposes of the active agreements that name one of the user's agencies."""
    agencies = Membership.objects.filter(user=user).values("agency_id")
    versions = current_versions().filter(
        recipients__id__in=agencies, status=AgreementStatus.ACTIVE.value
    )
    return sorted({p for v in versions for p in v.purposes})


def version_named(reference: str, version: int) -> AgreementVersion | None:
    """One version of an agreement by reference, for citing it (title, marking)."""
    return (
        AgreementVersion.objects.filter(agreement__reference=reference, version=version)
        .select_related("agreement", "agreement__provider")
        .first()
    )
