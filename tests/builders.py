"""Plain builders for test records (STYLE.md "Builders over factories")."""

from __future__ import annotations

from layers.models import Agency


def make_agency(
    *, slug: str = "city-council", name: str = "City Council", kind: str = Agency.Kind.COUNCIL
) -> Agency:
    agency, _ = Agency.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
    return agency
