"""Boundary vector tiles: the same bytes for every user, so cacheable by URL.

Rendered by PostGIS from the copies pre-simplified per zoom band, and kept in the disk
cache (layers.tilecache) by level, boundary version and z/x/y. After a boundary load the
level's tiles are warmed by a background job, so the first map view is fast too.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from layers import tilecache
from layers.domain.errors import ParamError
from layers.domain.levels import sort_fine_to_coarse
from layers.domain.tiles import MAX_ZOOM, tile_in_range, zoom_band
from layers.models import GeographyLevel

_BOUNDARY_TILE_SQL = (Path(__file__).parent / "sql" / "boundary_tile.sql").read_text()
_LEVELS_LOADED_SQL = (Path(__file__).parent / "sql" / "levels_loaded.sql").read_text()
_LEVEL_EXTENT_SQL = (Path(__file__).parent / "sql" / "level_extent.sql").read_text()
# Half the width of the web-mercator square (metres): the origin of tile numbering.
_HALF_WORLD = 20_037_508.342789244


@dataclass(frozen=True, slots=True)
class Tile:
    data: bytes
    boundary_version: str
    is_cached: bool = False


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
    cached = tilecache.get(level.slug, level.boundary_version, z, x, y)
    if cached is not None:
        return Tile(cached, level.boundary_version, is_cached=True)
    data = _render(level, z, x, y)
    tilecache.put(level.slug, level.boundary_version, z, x, y, data)
    return Tile(data, level.boundary_version)


_SAFE_NAME = re.compile(r"[a-z0-9]{1,16}")


def cached_tile(level_slug: str, version: str, z: int, x: int, y: int) -> Tile | None:
    """The tile from the cache when the URL names its boundary version (`?v=`), without
    asking the database: bytes kept under a version are that version's tiles, forever.
    None when not cached (or the names are not ours), and the caller renders."""
    if not (
        tile_in_range(z, x, y)
        and _SAFE_NAME.fullmatch(level_slug)
        and _SAFE_NAME.fullmatch(version)
    ):
        return None
    data = tilecache.get(level_slug, version, z, x, y)
    return None if data is None else Tile(data, version, is_cached=True)


def _render(level: GeographyLevel, z: int, x: int, y: int) -> bytes:
    params = {"level_id": level.id, "band": zoom_band(z), "z": z, "x": x, "y": y}
    with connection.cursor() as cursor:
        cursor.execute(_BOUNDARY_TILE_SQL, params)
        (data,) = cursor.fetchone()
    return bytes(data or b"")


def tiles_covering(
    bbox_3857: tuple[float, float, float, float], z: int
) -> Iterator[tuple[int, int]]:
    """(x, y) of every tile at zoom `z` that touches the web-mercator box."""
    n = 2**z
    size = 2 * _HALF_WORLD / n

    def column(mx: float) -> int:
        return min(n - 1, max(0, math.floor((mx + _HALF_WORLD) / size)))

    def row(my: float) -> int:
        return min(n - 1, max(0, math.floor((_HALF_WORLD - my) / size)))

    minx, miny, maxx, maxy = bbox_3857
    for x in range(column(minx), column(maxx) + 1):
        for y in range(row(maxy), row(miny) + 1):
            yield x, y


@dataclass(frozen=True, slots=True)
class Warmed:
    level: str
    boundary_version: str
    n_tiles: int
    n_rendered: int
    n_empty: int
    n_versions_purged: int
    seconds: float


def warm_level(
    slug: str,
    *,
    min_zoom: int,
    max_zoom: int,
    commit: bool = True,
    on_zoom: Callable[[int, int], None] | None = None,
) -> Warmed:
    """Render into the cache every tile of the level's extent from `min_zoom` to
    `max_zoom` that is not cached yet, and drop the tiles of its earlier versions.
    Without `commit`, only count the tiles."""
    started = time.perf_counter()
    level = level_for_tiles(slug)
    with connection.cursor() as cursor:
        cursor.execute(_LEVEL_EXTENT_SQL, {"level_id": level.id})
        extent = cursor.fetchone()
    n_tiles = n_rendered = n_empty = 0
    purged = tilecache.purge_other_versions(level.slug, level.boundary_version) if commit else 0
    for z in range(min_zoom, max_zoom + 1) if extent else ():
        covering = list(tiles_covering(extent, z))
        n_tiles += len(covering)
        for x, y in covering if commit else ():
            if tilecache.get(level.slug, level.boundary_version, z, x, y) is not None:
                continue
            data = _render(level, z, x, y)
            tilecache.put(level.slug, level.boundary_version, z, x, y, data)
            n_rendered += 1
            n_empty += not data
        if on_zoom is not None:
            on_zoom(z, len(covering))
    return Warmed(
        level.slug,
        level.boundary_version,
        n_tiles,
        n_rendered,
        n_empty,
        purged,
        time.perf_counter() - started,
    )


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


def warm_after_load(slug: str) -> None:
    """Warm the level's tiles in the background once the boundary load has committed
    (TILE_WARM_ON_LOAD; on by default where a real worker runs)."""
    if not settings.TILE_WARM_ON_LOAD:
        return
    from layers.tasks import warm_tiles  # the task module imports this one

    transaction.on_commit(lambda: warm_tiles.delay(slug))
