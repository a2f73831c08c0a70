"""Verb functions over the shared geography: custom areas and their unions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.gis.db.models.functions import Envelope, Transform
from django.db import connection, transaction
from django.db.models import Q

from layers import audit, queries
from layers.domain.custom_areas import (
    DefinitionError,
    Problem,
    check_definition,
    polygon_rings,
)
from layers.domain.errors import ParamError
from layers.members import memberships_of
from layers.models import Agency, Area, CustomArea, GeographyLevel, Lookup
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
    """The code a custom area goes by in the API and the read path: random, not its row
    number (layers.models.geography.new_public_id)."""
    return f"{CUSTOM_PREFIX}{custom.public_id}"


def visible_custom_areas(user: Any) -> Any:
    """Custom areas of the viewer's agencies, and those shared with the partnership."""
    agencies = memberships_of(user).values("agency_id")
    return CustomArea.objects.filter(Q(owner_id__in=agencies) | Q(is_shared=True))


def custom_area_for(user: Any, code: str) -> CustomArea | None:
    """The custom area `code` names, if the viewer may see it (None otherwise, so another
    agency's private area and an unknown code look the same). Nobody signed in (the
    public pages and API) sees none, not even one shared with the partnership."""
    if not code.startswith(CUSTOM_PREFIX) or not getattr(user, "is_authenticated", False):
        return None
    return (
        visible_custom_areas(user)
        .select_related("base_level", "owner")
        .filter(public_id=code.removeprefix(CUSTOM_PREFIX))
        .first()
    )


@transaction.atomic
def define_custom_area(
    *,
    acting_user: Any,
    owner: Agency,
    name: str,
    codes: list[str],
    base_level: GeographyLevel | None = None,
    is_shared: bool = False,
) -> CustomArea:
    """Define a new custom area of `owner` from a list of LSOA codes, and audit it.

    The definition is checked first (layers.domain.custom_areas: name, duplicates,
    unknown codes, codes of another level, at least MIN_CONSTITUENTS LSOAs), and nothing
    is written on any problem: a DefinitionError names every one. Without `base_level`,
    the LSOA level that holds every code is used.
    """
    cleaned = [c.strip() if isinstance(c, str) else c for c in codes]
    wanted = [c for c in cleaned if isinstance(c, str)]
    levels_of: dict[str, set[str]] = {}
    for code, slug in Area.objects.filter(gss_code__in=wanted).values_list(
        "gss_code", "level__slug"
    ):
        levels_of.setdefault(code, set()).add(slug)
    if base_level is None:
        base_level = _lsoa_level_for(wanted, levels_of)
    problems = check_definition(
        name=name,
        codes=cleaned,
        levels_of=levels_of,
        base_level=base_level.as_domain(),
    )
    if CustomArea.objects.filter(owner=owner, name=name.strip()).exists():
        problems.append(
            Problem("name", f"{owner.name} already has a custom area named {name.strip()!r}")
        )
    if problems:
        raise DefinitionError(problems)
    custom = CustomArea.objects.create(
        owner=owner, name=name.strip(), base_level=base_level, is_shared=is_shared
    )
    custom.members.set(Area.objects.filter(level=base_level, gss_code__in=wanted))
    refresh_custom_area_unions([custom.id])
    custom.refresh_from_db()
    audit.record(
        action="custom_area.created",
        user=acting_user,
        agency_id=owner.id,
        level=base_level.slug,
        n_returned=0,
        detail={
            "custom_area": custom_area_code(custom),
            "name": custom.name,
            "n_members": len(wanted),
            "shared": is_shared,
        },
    )
    return custom


def _lsoa_level_for(codes: list[str], levels_of: dict[str, set[str]]) -> GeographyLevel:
    """The LSOA level (of those loaded) that holds every code; the one holding most of
    them when none holds all (the check then names the rest)."""
    lsoa_levels = list(GeographyLevel.objects.filter(kind="lsoa", areas__isnull=False).distinct())
    if not lsoa_levels:
        raise ParamError("no LSOA boundaries are loaded", parameter="base_level")
    scored = sorted(
        lsoa_levels,
        key=lambda lv: (-sum(1 for c in codes if lv.slug in levels_of.get(c, ())), lv.slug),
    )
    holding_all = [lv for lv in scored if all(lv.slug in levels_of.get(c, ()) for c in codes)]
    if len(holding_all) > 1:
        raise ParamError(
            "these codes are areas of "
            + ", ".join(lv.slug for lv in holding_all)
            + ": say which with base_level",
            parameter="base_level",
        )
    return scored[0]


@dataclass(frozen=True, slots=True)
class FoundArea:
    """An area matching a search, with its lon/lat box and the areas it lies in."""

    gss_code: str
    name: str
    level: str
    level_name: str
    bbox_4326: tuple[float, float, float, float]
    within: tuple[str, ...]


SEARCH_SCAN = 2000


def search_areas(text: str, *, levels: list[str] | None = None, limit: int = 12) -> list[FoundArea]:
    """Areas whose code starts with `text` or whose name contains it (any case): an
    exact code first, then coarse to fine (a district before its wards and LSOAs), then
    by name. Public boundaries only; `levels` narrows to the levels the map shows."""
    text = text.strip()
    if not text:
        return []
    found = Area.objects.filter(Q(name__icontains=text) | Q(gss_code__istartswith=text))
    if levels is not None:
        found = found.filter(level__slug__in=levels)
    rows = list(found.values_list("id", "gss_code", "name", "level_id")[:SEARCH_SCAN])
    rank = {g.id: g.as_domain().rank for g in GeographyLevel.objects.all()}
    wanted = text.upper()
    rows.sort(
        key=lambda r: (
            r[1].upper() != wanted,
            -rank[r[3]],
            not r[2].lower().startswith(text.lower()),
            r[2],
        )
    )
    chosen = [r[0] for r in rows[:limit]]
    areas = {
        a.id: a
        for a in Area.objects.filter(id__in=chosen)
        .select_related("level")
        .annotate(box=Transform(Envelope("geom_27700"), 4326))
    }
    parents: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for area_level, child, parent_level, name in (
        Lookup.objects.filter(child_code__in=[a.gss_code for a in areas.values()])
        .exclude(method=Lookup.Method.EDITION_CHANGE)
        .values_list("child_level_id", "child_code", "parent_level_id", "parent_name")
    ):
        if name:
            parents.setdefault((area_level, child), []).append((rank[parent_level], name))
    out = []
    for area_id in chosen:
        area = areas[area_id]
        x0, y0, x1, y1 = area.box.extent
        within = sorted(parents.get((area.level_id, area.gss_code), []))
        out.append(
            FoundArea(
                area.gss_code,
                area.name,
                area.level.slug,
                area.level.name,
                (x0, y0, x1, y1),
                tuple(dict.fromkeys(name for _, name in within)),
            )
        )
    return out


def extents_of(level_slug: str) -> list[tuple[str, str, tuple[float, float, float, float]]]:
    """(code, name, lon/lat box) of every area of a level: the map's district shortcuts."""
    out = []
    for area in (
        Area.objects.filter(level__slug=level_slug)
        .annotate(box=Transform(Envelope("geom_27700"), 4326))
        .order_by("name")
    ):
        out.append((area.gss_code, area.name, area.box.extent))
    return out


def editable_custom_areas(user: Any) -> Any:
    """Custom areas of the viewer's own agencies: the only ones they may change or delete
    (a shared area of another agency is read-only to them)."""
    agencies = memberships_of(user).values("agency_id")
    return CustomArea.objects.filter(owner_id__in=agencies)


def editable_custom_area(user: Any, public_id: str) -> CustomArea | None:
    """One of the viewer's agencies' custom areas by its public id (None otherwise, so
    another agency's area, shared or not, and an unknown id look the same)."""
    return (
        editable_custom_areas(user)
        .select_related("base_level", "owner")
        .filter(public_id=public_id)
        .first()
    )


def snap_polygon(level: GeographyLevel, shape: Any) -> list[tuple[str, str]]:
    """The (code, name) of the areas of `level` a drawn polygon chooses: whole areas
    whose point on surface lies inside it (DISCLOSURE.md 6.1). A malformed shape is a
    ParamError naming the fault; nothing is written."""
    rings = polygon_rings(shape)
    polygon = json.dumps({"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]})
    return queries.fetch_areas_in_polygon(level.id, polygon)


@transaction.atomic
def redefine_custom_area(
    *,
    acting_user: Any,
    custom: CustomArea,
    name: str,
    codes: list[str],
    is_shared: bool,
) -> CustomArea:
    """Change a custom area's name, members or sharing, and audit it. The same checks as
    define_custom_area (every problem named at once, nothing written on any); the base
    level stays. The caller has found the area among editable_custom_areas."""
    cleaned = [c.strip() if isinstance(c, str) else c for c in codes]
    wanted = [c for c in cleaned if isinstance(c, str)]
    levels_of: dict[str, set[str]] = {}
    for code, slug in Area.objects.filter(gss_code__in=wanted).values_list(
        "gss_code", "level__slug"
    ):
        levels_of.setdefault(code, set()).add(slug)
    problems = check_definition(
        name=name, codes=cleaned, levels_of=levels_of, base_level=custom.base_level.as_domain()
    )
    clash = CustomArea.objects.filter(owner=custom.owner, name=name.strip()).exclude(id=custom.id)
    if clash.exists():
        problems.append(
            Problem("name", f"{custom.owner.name} already has a custom area named {name.strip()!r}")
        )
    if problems:
        raise DefinitionError(problems)
    before = {
        "name": custom.name,
        "n_members": custom.members.count(),
        "shared": custom.is_shared,
    }
    members = list(Area.objects.filter(level=custom.base_level, gss_code__in=wanted))
    old_codes = set(custom.members.values_list("gss_code", flat=True))
    custom.name = name.strip()
    custom.is_shared = is_shared
    custom.save(update_fields=["name", "is_shared", "updated_at"])
    custom.members.set(members)
    refresh_custom_area_unions([custom.id])
    custom.refresh_from_db()
    new_codes = {a.gss_code for a in members}
    audit.record(
        action="custom_area.changed",
        user=acting_user,
        agency_id=custom.owner_id,
        level=custom.base_level.slug,
        detail={
            "custom_area": custom_area_code(custom),
            "before": before,
            "after": {"name": custom.name, "n_members": len(new_codes), "shared": is_shared},
            "added": sorted(new_codes - old_codes),
            "removed": sorted(old_codes - new_codes),
        },
    )
    return custom


@transaction.atomic
def delete_custom_area(*, acting_user: Any, custom: CustomArea) -> None:
    """Delete a custom area of the viewer's agency, and audit it (its definition is kept
    in the event, so the audit trail can say what a past read was about)."""
    code = custom_area_code(custom)
    audit.record(
        action="custom_area.deleted",
        user=acting_user,
        agency_id=custom.owner_id,
        level=custom.base_level.slug,
        detail={
            "custom_area": code,
            "name": custom.name,
            "shared": custom.is_shared,
            "members": sorted(custom.members.values_list("gss_code", flat=True)),
        },
    )
    custom.delete()


def areas_named(text: str, *, limit: int = 50) -> list[Area]:
    """Areas whose code is `text` or whose name contains it (public geography only),
    finest levels first."""
    text = text.strip()
    if not text:
        return []
    found = (
        Area.objects.filter(Q(gss_code__iexact=text) | Q(name__icontains=text))
        .select_related("level")
        .order_by("level__kind", "name", "gss_code")
        .defer("geom_27700")
    )
    return list(found[:limit])


def district_extents() -> list[tuple[str, str, tuple[float, float, float, float]]]:
    """(code, name, lon/lat bounding box) of every district (newest edition first), for
    a map to go to one."""
    rows = (
        Area.objects.filter(level__kind="lad")
        .annotate(box=Transform(Envelope("geom_27700"), 4326))
        .order_by("-level__edition", "name")
        .values_list("gss_code", "name", "box")
    )
    seen: set[str] = set()
    out = []
    for code, name, box in rows:
        if code not in seen:
            seen.add(code)
            out.append((code, name, box.extent))
    return out


def custom_area_extent(custom: CustomArea) -> tuple[float, float, float, float] | None:
    """A custom area's lon/lat bounding box (None before its union is computed)."""
    box = (
        CustomArea.objects.filter(id=custom.id, geom_27700__isnull=False)
        .annotate(box=Transform(Envelope("geom_27700"), 4326))
        .values_list("box", flat=True)
        .first()
    )
    return box.extent if box is not None else None
