"""Write boundaries into PostGIS: COPY into a staging table, then one atomic replace.

The level's areas are upserted by code (ids stay stable, so custom areas keep their
members), areas absent from the new file are removed, the tile copies are rebuilt and
the level gets a new boundary version, all in one transaction: a failure anywhere
leaves the previous boundaries exactly as they were.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from tqdm import tqdm

from ingest.pipeline.boundaries import PROGRESS_FROM, BoundaryRow
from layers.domain.tiles import ZOOM_BANDS
from layers.geography import refresh_custom_areas_of_level
from layers.models import GeographyLevel
from layers.sqlfile import load_statements

_SQL = load_statements(Path(__file__).parent.parent / "sql" / "boundaries_write.sql")


@dataclass(frozen=True, slots=True)
class WriteResult:
    n_written: int
    n_removed: int
    n_custom_areas_refreshed: int
    boundary_version: str


def _finish(cursor: object, level: GeographyLevel, *, source: str,
            derived_from: GeographyLevel | None) -> WriteResult:
    params = {"level_id": level.id}
    run = cursor.execute  # type: ignore[attr-defined]
    run("SELECT count(*) FROM boundary_stage")
    (n_written,) = cursor.fetchone()  # type: ignore[attr-defined]
    run(_SQL["count_removed"], params)
    (n_removed,) = cursor.fetchone()  # type: ignore[attr-defined]
    run(_SQL["upsert_areas"], params)
    run(_SQL["delete_shapes"], params)
    run(_SQL["delete_removed_memberships"], params)
    run(_SQL["delete_removed_areas"], params)
    run(_SQL["build_shapes"], {**params,
                               "bands": [b.band for b in ZOOM_BANDS],
                               "tolerances": [b.tolerance_m for b in ZOOM_BANDS]})
    version = secrets.token_hex(4)
    run(_SQL["mark_level"], {**params, "version": version, "source": source[:300],
                             "derived_from": derived_from.id if derived_from else None})
    n_custom = refresh_custom_areas_of_level(level)
    return WriteResult(n_written, n_removed, n_custom, version)


@transaction.atomic
def write_boundaries(level: GeographyLevel, rows: list[BoundaryRow], *, source: str) -> WriteResult:
    """Replace the boundaries of `level` with `rows` in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL["create_stage"])
        with cursor.copy("COPY boundary_stage (gss_code, name, wkb) FROM STDIN") as copy:
            for row in tqdm(rows, desc="writing", unit=" areas",
                            disable=len(rows) < PROGRESS_FROM):
                copy.write_row((row.gss_code, row.name, row.wkb))
        return _finish(cursor, level, source=source, derived_from=None)


@transaction.atomic
def write_dissolved(level: GeographyLevel, child: GeographyLevel) -> WriteResult:
    """Build `level`'s boundaries by dissolving `child` areas along their lookup."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL["create_stage"])
        cursor.execute(_SQL["stage_dissolved"], {"level_id": level.id,
                                                 "child_level_id": child.id})
        return _finish(cursor, level, source=f"dissolved from {child.slug}", derived_from=child)
