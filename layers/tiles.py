"""Boundary vector tiles: the same bytes for every user, so cacheable by URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from layers.domain.errors import ParamError
from layers.domain.levels import sort_fine_to_coarse
from layers.domain.tiles import MAX_ZOOM, tile_in_range, zoom_band
from layers.models import GeographyLevel

_BOUNDARY_TILE_SQL = (Path(__file__).parent / "sql" / "boundary_tile.sql").read_text()
_LEVELS_LOADED_SQL = (Path(__file__).parent / "sql" / "levels_loaded.sql").read_text()


@dataclass(frozen=True, slots=True)
class Tile:
    data: bytes
    boundary_version: str


def level_for_tiles(slug: str) -> GeographyLevel:
    """The level named `slug`, or ParamError naming the known ones."""
    level = GeographyLevel.objects.filter(slug=slug).first()
    if level is None:
        known = ", ".join(GeographyLevel.objects.values_list("slug", flat=True))
        raise ParamError(f"unknown level {slug!r}; known levels: {known}", parameter="level")
    return level


def boundary_tile(level_slug: str, z: int, x: int, y: int) -> Tile:
    """The boundaries of one level in tile z/x/y (empty bytes when none fall in it)."""
    if not tile_in_range(z, x, y):
        raise ParamError(
            f"tile {z}/{x}/{y} does not exist: z must be 0..{MAX_ZOOM} and x, y 0..2^z-1",
            parameter="z/x/y",
        )
    level = level_for_tiles(level_slug)
    params = {"level_id": level.id, "band": zoom_band(z), "z": z, "x": x, "y": y}
    with connection.cursor() as cursor:
        cursor.execute(_BOUNDARY_TILE_SQL, params)
        (data,) = cursor.fetchone()
    return Tile(bytes(data or b""), level.boundary_version)


@dataclass(frozen=True, slots=True)
class LoadedLevel:
    """A level with boundaries, as the map offers it."""

    slug: str
    name: str
    kind: str
    boundary_version: str
    n_areas: int
    bbox_4326: tuple[float, float, float, float]


def loaded_levels() -> list[LoadedLevel]:
    """Every level that has boundaries, fine to coarse."""
    with connection.cursor() as cursor:
        cursor.execute(_LEVELS_LOADED_SQL)
        rows = cursor.fetchall()
    levels = [
        LoadedLevel(slug, name, kind, version, n, (x0, y0, x1, y1))
        for slug, name, kind, version, n, x0, y0, x1, y1 in rows
    ]
    by_slug = {lv.slug: lv for lv in levels}
    ordered = sort_fine_to_coarse(
        [g.as_domain() for g in GeographyLevel.objects.filter(slug__in=list(by_slug))]
    )
    return [by_slug[lv.slug] for lv in ordered]
