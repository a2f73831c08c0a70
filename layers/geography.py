"""Verb functions over the shared geography: custom areas and their unions."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from layers import queries
from layers.domain.errors import ParamError
from layers.models import Agency, Area, CustomArea, GeographyLevel, Membership
from layers.sqlfile import load_statements

_SQL = load_statements(Path(__file__).parent / "sql" / "custom_area_union.sql")


def refresh_custom_area_unions(ids: list[int]) -> None:
    """Recompute the union geometry of the given custom areas."""
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_SQL["union_by_id"], {"custom_area_ids": ids})


def refresh_custom_areas_of_level(level: GeographyLevel) -> int:
    """Recompute every custom area built on `level` (after its boundaries are reloaded)."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL["ids_for_level"], {"base_level_id": level.id})
        ids = [row[0] for row in cursor.fetchall()]
    refresh_custom_area_unions(ids)
    return len(ids)


@transaction.atomic
def save_custom_area(
    *,
    owner: Agency,
    name: str,
    base_level: GeographyLevel,
    codes: Iterable[str],
    is_shared: bool = False,
) -> CustomArea:
    """Create or update the custom area `name` of `owner` from a list of area codes.

    Every code must be an area of `base_level`; the union geometry is recomputed.
    """
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if not wanted:
        raise ParamError("a custom area needs at least one area code", parameter="codes")
    members = list(Area.objects.filter(level=base_level, gss_code__in=wanted))
    unknown = sorted(set(wanted) - {a.gss_code for a in members})
    if unknown:
        listed = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise ParamError(f"not {base_level.slug} areas: {listed}", parameter="codes")
    custom, _ = CustomArea.objects.update_or_create(
        owner=owner, name=name, defaults={"base_level": base_level, "is_shared": is_shared}
    )
    custom.members.set(members)
    refresh_custom_area_unions([custom.id])
    custom.refresh_from_db()
    return custom


def area_geometry(
    level: GeographyLevel, codes: list[str], *, simplify: float = 20.0, precision: int = 5
) -> dict[str, str]:
    """GeoJSON geometry text (lon/lat) of areas of one level, simplified to `simplify`
    metres (0: exact) with `precision` decimal places. Public boundaries only."""
    return queries.fetch_geometry(level.id, codes, simplify=simplify, precision=precision)


def codes_within(level: GeographyLevel, code: str) -> set[str] | None:
    """Codes of `level` inside the area `code` (any level), None for an unknown code."""
    return queries.codes_within(level, code)


CUSTOM_PREFIX = "custom-"


def custom_area_code(custom: CustomArea) -> str:
    """The code a custom area goes by in the API and the read path."""
    return f"{CUSTOM_PREFIX}{custom.id}"


def visible_custom_areas(user: Any) -> Any:
    """Custom areas of the viewer's agencies, and those shared with the partnership."""
    agencies = Membership.objects.filter(user_id=getattr(user, "id", None)).values("agency_id")
    return CustomArea.objects.filter(Q(owner_id__in=agencies) | Q(is_shared=True))


def custom_area_for(user: Any, code: str) -> CustomArea | None:
    """The custom area `code` names, if the viewer may see it (None otherwise, so another
    agency's private area and an unknown code look the same)."""
    if not code.startswith(CUSTOM_PREFIX):
        return None
    number = code.removeprefix(CUSTOM_PREFIX)
    if not number.isdigit():
        return None
    return (
        visible_custom_areas(user)
        .select_related("base_level", "owner")
        .filter(id=int(number))
        .first()
    )
