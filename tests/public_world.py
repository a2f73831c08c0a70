"""A world for the public surface tests: the police's crime release (tests.builders),
shared with the council under ISA-2025-001 and published to the public under
ISA-2025-003 (MSOA and coarser, counts below 10 withheld, rounded to 10); and the fire
service's incidents, shared with the council only (never public)."""

from __future__ import annotations

from typing import Any

from layers.models import Area, Indicator
from tests.builders import make_agreement, make_dataset, publish_crime, publish_rows, three_parties

PUBLIC_REF = "ISA-2025-003"


def public_terms(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Recorded crime for the public",
        "recipients": [],
        "roles": [],
        "uses": ["public"],
        "purposes": ["informing_the_public"],
        "legal_basis": "public_task",
        "finest_level": "msoa11",
        "min_count": 10,
        "round_to": 10,
        "marking": "OFFICIAL",
        **overrides,
    }


def public_world(directory: Any, **public: Any) -> dict[str, Any]:
    parties = three_parties()
    parties.update(publish_crime(parties, directory))
    parties["public_agreement"] = make_agreement(
        reference=PUBLIC_REF, provider=parties["police"], **public_terms(**public)
    )
    fire = make_dataset(slug="fire-incidents", owner=parties["fire"])
    Indicator.objects.create(
        dataset=fire, slug="dwelling-fires", name="Dwelling fires", measure="count"
    )
    codes = sorted(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
    publish_rows(
        fire,
        [
            {
                "area_code": c,
                "period": "2025-03",
                "indicator": "dwelling-fires",
                "value": 40 + i % 7,
            }
            for i, c in enumerate(codes)
        ],
        directory,
    )
    make_agreement(
        reference="ISA-2025-010",
        provider=parties["fire"],
        datasets=["fire-incidents"],
        title="Fire incidents for community safety",
    )
    parties["msoa"] = (
        Area.objects.filter(level__slug="msoa11")
        .order_by("gss_code")
        .values_list("gss_code", flat=True)
        .first()
    )
    return parties
