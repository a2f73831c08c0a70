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
from ingest.pipeline.lookups import LookupLink
from layers.domain.tiles import ZOOM_BANDS
from layers.geography import refresh_custom_areas_of_level
from layers.models import GeographyLevel
from layers.sqlfile import load_statements
from layers.tiles import warm_after_load

_SQL = load_statements(Path(__file__).parent.parent / "sql" / "boundaries_write.sql")


@dataclass(frozen=True, slots=True)
class WriteResult:
    n_written: int
    n_removed: int
    n_custom_areas_refreshed: int
    boundary_version: str


def _finish(
    cursor: object, level: GeographyLevel, *, source: str, derived_from: GeographyLevel | None
) -> WriteResult:
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
    run(
        _SQL["build_shapes"],
        {
            **params,
            "bands": [b.band for b in ZOOM_BANDS],
            "tolerances": [b.tolerance_m for b in ZOOM_BANDS],
        },
    )
    version = secrets.token_hex(4)
    run(
        _SQL["mark_level"],
        {
            **params,
            "version": version,
            "source": source[:300],
            "derived_from": derived_from.id if derived_from else None,
        },
    )
    n_custom = refresh_custom_areas_of_level(level)
    warm_after_load(level.slug)
    return WriteResult(n_written, n_removed, n_custom, version)


@transaction.atomic
def write_boundaries(level: GeographyLevel, rows: list[BoundaryRow], *, source: str) -> WriteResult:
    """Replace the boundaries of `level` with `rows` in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL["create_stage"])
        with cursor.copy("COPY boundary_stage (gss_code, name, wkb) FROM STDIN") as copy:
            for row in tqdm(rows, desc="writing", unit=" areas", disable=len(rows) < PROGRESS_FROM):
                copy.write_row((row.gss_code, row.name, row.wkb))
        return _finish(cursor, level, source=source, derived_from=None)


@transaction.atomic
def write_dissolved(level: GeographyLevel, child: GeographyLevel) -> WriteResult:
    """Build `level`'s boundaries by dissolving `child` areas along their lookup."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL["create_stage"])
        cursor.execute(_SQL["stage_dissolved"], {"level_id": level.id, "child_level_id": child.id})
        return _finish(cursor, level, source=f"dissolved from {child.slug}", derived_from=child)


_LOOKUP_SQL = load_statements(Path(__file__).parent.parent / "sql" / "lookups_write.sql")


@transaction.atomic
def write_lookups(links: list[LookupLink], *, source: str) -> int:
    """Replace the links of every child named in `links`, in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL["create_stage"])
        with cursor.copy("COPY lookup_stage FROM STDIN") as copy:
            for link in tqdm(
                links, desc="writing", unit=" links", disable=len(links) < PROGRESS_FROM
            ):
                copy.write_row(
                    (
                        link.child_level,
                        link.child_code,
                        link.parent_level,
                        link.parent_code,
                        link.parent_name,
                        link.weight,
                        link.change,
                        link.method,
                    )
                )
        cursor.execute(_LOOKUP_SQL["delete_replaced"])
        cursor.execute(_LOOKUP_SQL["insert_links"], {"source": source[:300]})
        return int(cursor.rowcount)


@dataclass(frozen=True, slots=True)
class BestFit:
    n_children: int
    n_linked: int
    unmatched_children: list[str]
    parents_without_children: list[str]


def derive_best_fit(child: GeographyLevel, parent: GeographyLevel, *, commit: bool) -> BestFit:
    """Link each `child` area to the `parent` area holding its point on surface.

    Dry run unless `commit`: the transaction is rolled back after counting.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL["create_stage"])
        cursor.execute(
            _LOOKUP_SQL["stage_point_on_surface"],
            {
                "child_slug": child.slug,
                "parent_slug": parent.slug,
                "child_level_id": child.id,
                "parent_level_id": parent.id,
            },
        )
        cursor.execute(_LOOKUP_SQL["unmatched_children"], {"id": child.id})
        unmatched = [r[0] for r in cursor.fetchall()]
        cursor.execute(_LOOKUP_SQL["childless_parents"], {"id": parent.id})
        childless = [r[0] for r in cursor.fetchall()]
        n_children = child.areas.count()
        n_linked = n_children - len(unmatched)
        if commit:
            cursor.execute(_LOOKUP_SQL["delete_replaced"])
            cursor.execute(
                _LOOKUP_SQL["insert_links"],
                {"source": f"best fit of {child.slug} in {parent.slug}"},
            )
        else:
            transaction.set_rollback(True)
    return BestFit(n_children, n_linked, unmatched, childless)
