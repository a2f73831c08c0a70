"""Store a release's values: COPY into the dataset's partition of `layers_value`, in
chunks so that other statements (new periods) can run between them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import connection

from ingest.pipeline.validate import Record
from layers.domain.periods import Period as PeriodValue
from layers.models import Period
from layers.sqlfile import load_statements

_SQL = load_statements(Path(__file__).parent.parent / "sql" / "values_write.sql")
CHUNK = 50_000
_TYPES = ["int8", "int8", "int8", "int8", "int8", "float8", "float8", "float8"]


def ensure_partition(dataset_id: int) -> None:
    """The dataset's own partition of layers_value (created on first use)."""
    name = f"layers_value_d{int(dataset_id)}"
    with connection.cursor() as cursor:
        cursor.execute(_SQL["partition_exists"], {"partition": name})
        (exists,) = cursor.fetchone()
        if not exists:
            # The name is built from an integer id, never from input.
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF layers_value FOR VALUES IN ({int(dataset_id)})"
            )


def period_id(period: PeriodValue, cache: dict[str, int]) -> int:
    if period.code not in cache:
        row, _ = Period.objects.get_or_create(
            code=period.code,
            defaults={
                "kind": period.kind.value,
                "start_on": period.start_on,
                "end_on": period.end_on,
            },
        )
        cache[period.code] = row.id
    return cache[period.code]


def copy_values(
    *,
    dataset_id: int,
    release_id: int,
    records: Iterable[Record],
    periods: dict[str, PeriodValue],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every record; `periods` is filled by the checker as it reads (so a period is
    known by the time its first record arrives). Returns the number written."""
    cache: dict[str, int] = {}
    chunk: list[tuple[int, ...] | tuple[object, ...]] = []
    written = 0

    def flush() -> None:
        nonlocal written
        if not chunk:
            return
        with connection.cursor() as cursor, cursor.copy(_SQL["copy_values"]) as copy:
            copy.set_types(_TYPES)
            for row in chunk:
                copy.write_row(row)
        written += len(chunk)
        chunk.clear()
        if progress is not None:
            progress(written)

    for indicator_id, area_id, period_code, value, numerator, denominator in records:
        pid = cache.get(period_code) or period_id(periods[period_code], cache)
        chunk.append(
            (dataset_id, release_id, indicator_id, pid, area_id, value, numerator, denominator)
        )
        if len(chunk) >= CHUNK:
            flush()
    flush()
    return written


def large_changes(
    *, dataset_id: int, release_id: int, previous_id: int, factor: float
) -> tuple[int, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL["large_changes"],
            {
                "dataset_id": dataset_id,
                "release_id": release_id,
                "previous_id": previous_id,
                "factor": factor,
            },
        )
        rows = cursor.fetchall()
    if not rows:
        return 0, []
    return rows[0][0], [
        f"{slug} {period} {code}: {old:g} -> {new:g}" for _, slug, period, code, old, new in rows
    ]
