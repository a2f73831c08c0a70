"""Plain builders for test records (STYLE.md "Builders over factories")."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User

from layers.agreements import create_agreement
from layers.models import Agency, Agreement, Dataset, GeographyLevel, Membership

PASSWORD = "a-test-password-1"


def make_agency(
    *, slug: str = "city-council", name: str = "City Council", kind: str = Agency.Kind.COUNCIL
) -> Agency:
    agency, _ = Agency.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
    return agency


def make_member(username: str, agency: Agency, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=PASSWORD)
    Membership.objects.update_or_create(user=user, agency=agency, defaults={"role": role})
    return user


def make_dataset(*, slug: str = "recorded-crime", owner: Agency, level: str = "lsoa11") -> Dataset:
    dataset, _ = Dataset.objects.get_or_create(
        slug=slug,
        defaults={
            "owner": owner,
            "theme": "crime",
            "title": slug.replace("-", " ").title(),
            "level": GeographyLevel.objects.get(slug=level),
        },
    )
    return dataset


def agreement_terms(**overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "title": "Crime data for community safety",
        "recipients": ["city-council"],
        "datasets": ["recorded-crime"],
        "purposes": ["community_safety"],
        "legal_basis": "crime_and_disorder_act_1998_s115",
        "legal_basis_text": "",
        "roles": ["analyst", "neighbourhood_manager", "service"],
        "finest_level": "lsoa11",
        "uses": ["api", "export", "map"],
        "min_count": 10,
        "round_to": 5,
        "min_denominator": 100,
        "zero_policy": "publish",
        "secondary": True,
        "ward_method": "sum_of_published",
        "starts_on": date(2025, 4, 1),
        "ends_on": date(2027, 3, 31),
        "review_on": date(2026, 10, 1),
        "status": "active",
        "signatories": "",
        "marking": "OFFICIAL-SENSITIVE",
    }
    terms.update(overrides)
    return terms


def make_agreement(
    *, reference: str = "ISA-2025-001", provider: Agency, **overrides: Any
) -> Agreement:
    return create_agreement(
        reference=reference, provider=provider, terms=agreement_terms(**overrides), acting_user=None
    )


def three_parties() -> dict[str, Any]:
    """Owner (police), recipient under an active agreement (council), outsider (fire)."""
    police = make_agency(slug="city-police", name="City Police", kind="police")
    council = make_agency(slug="city-council", name="City Council", kind="council")
    fire = make_agency(slug="fire-rescue", name="Fire and Rescue", kind="fire")
    dataset = make_dataset(owner=police)
    agreement = make_agreement(provider=police)
    return {
        "police": police,
        "council": council,
        "fire": fire,
        "dataset": dataset,
        "agreement": agreement,
        "police_im": make_member("pim", police, "information_manager"),
        "council_im": make_member("cim", council, "information_manager"),
        "fire_im": make_member("fim", fire, "information_manager"),
        "council_analyst": make_member("ana", council, "analyst"),
    }
