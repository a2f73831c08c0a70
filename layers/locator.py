"""Outlines for a profile's locator map: the area, the areas of its level around it in
its district, and the district's outline. Public boundary geometry only: a locator map
never carries a figure, so the PDF, the profile page and the HTML export all draw from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from layers import queries
from layers.geography import CUSTOM_PREFIX
from layers.models import CustomArea, GeographyLevel
from layers.profile import ProfileArea

BNG = 27700
WGS84 = 4326
# The drawn map spans the area and as much again around it, at least this far across.
MIN_SPAN_M = 750.0


@dataclass(frozen=True, slots=True)
class Shape:
    code: str
    name: str
    geometry: dict[str, Any]  # GeoJSON Polygon or MultiPolygon


@dataclass(frozen=True, slots=True)
class Locator:
    """`focus` is the area itself; `context` the other areas of its level (a custom
    area: LSOAs) in its district, `members` a custom area's own LSOAs; `district` the
    district's outline. Coordinates in `srid` (27700: metres east/north; 4326: lon/lat).
    In 27700 (a drawn map), `context` holds only the areas near the focus."""

    srid: int
    focus: Shape | None
    context: tuple[Shape, ...]
    members: tuple[Shape, ...]
    district: Shape | None


def _shapes(
    level: GeographyLevel | str,
    codes: list[str],
    *,
    srid: int,
    simplify: float,
    near: tuple[float, float, float, float] | None = None,
) -> list[Shape]:
    if not codes:
        return []
    level_id = (
        level.id
        if isinstance(level, GeographyLevel)
        else GeographyLevel.objects.values_list("id", flat=True).get(slug=level)
    )
    return [
        Shape(code, name, json.loads(geometry))
        for code, name, geometry in queries.fetch_area_shapes(
            level_id,
            codes,
            simplify=simplify,
            min_area=25 * simplify * simplify,
            srid=srid,
            precision=0 if srid == BNG else 5,
            near=near,
        )
        if geometry
    ]


def _box(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    xs = [p[0] for polygon in polygons for ring in polygon for p in ring]
    ys = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _around(focus: Shape | None, srid: int) -> tuple[float, float, float, float] | None:
    """The box a drawn map shows around the focus (None: everything, for web maps)."""
    if focus is None or srid != BNG:
        return None
    minx, miny, maxx, maxy = _box(focus.geometry)
    half = max(maxx - minx, maxy - miny, MIN_SPAN_M) * 1.2
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - half, cy - half, cx + half, cy + half


def locator(area: ProfileArea, *, srid: int = BNG) -> Locator:
    """The locator outlines of a profile's area (see Locator)."""
    level = area.unit_level
    # Tolerances in metres: fine enough for a map a page wide, small enough to draw fast.
    detail = 60.0 if level.kind == "lad" else 10.0
    district = None
    if area.district_level and area.district_code:
        found = _shapes(area.district_level, [area.district_code], srid=srid, simplify=40.0)
        district = found[0] if found else None
    _, district_of = queries.district_map(level)
    if level.kind == "lad":
        around = queries.area_codes(level)
    elif area.district_code:
        around = sorted(c for c, d in district_of.items() if d == area.district_code)
    else:
        around = []
    if area.is_custom:
        custom = CustomArea.objects.get(public_id=area.code.removeprefix(CUSTOM_PREFIX))
        shape = queries.fetch_custom_area_shape(
            custom.id,
            simplify=detail,
            min_area=25 * detail * detail,
            srid=srid,
            precision=0 if srid == BNG else 5,
        )
        focus = Shape(area.code, area.name, json.loads(shape)) if shape else None
        members = set(area.members)
        near = _around(focus, srid)
        context = _shapes(
            level, [c for c in around if c not in members], srid=srid, simplify=detail, near=near
        )
        inside = _shapes(level, sorted(members), srid=srid, simplify=detail)
        return Locator(srid, focus, tuple(context), tuple(inside), district)
    found = _shapes(level, [area.code], srid=srid, simplify=detail)
    focus = found[0] if found else None
    context = _shapes(
        level,
        [c for c in around if c != area.code],
        srid=srid,
        simplify=detail,
        near=_around(focus, srid),
    )
    return Locator(srid, focus, tuple(context), (), district)
