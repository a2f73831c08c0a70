"""Store a release's values: COPY into the dataset's partition of `layers_value`, in
chunks so that other statements (new periods) can run between them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import connection

from layers.domain.periods import Period as PeriodValue
from layers.models import Period
from layers.sqlfile import load_statements

_SQL = load_statements(Path(__file__).parent.parent / "sql" / "values_write.sql")
CHUNK = 200_000


def _q(prefix: str, number: int) -> str:
    """A table name built from an integer id, never from input (so safe to interpolate)."""
    return f"{prefix}{int(number)}"


def ensure_dataset_partition(dataset_id: int) -> None:
    """The dataset's partition of layers_value, itself partitioned by release."""
    name = _q("layers_value_d", dataset_id)
    with connection.cursor() as cursor:
        cursor.execute(_SQL["partition_exists"], {"partition": name})
        (exists,) = cursor.fetchone()
        if not exists:
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF layers_value "
                f"FOR VALUES IN ({int(dataset_id)}) PARTITION BY LIST (release_id)"
            )


class ReleaseTable:
    """A release's values are loaded into a table of their own, with no index, and
    attached as a partition (which builds its index in one sorted pass) only when the
    release is published: loading is then as cheap as a plain COPY, and dropping a
    release's values is dropping a table. A dry run loads into a temporary table."""

    def __init__(self, dataset_id: int, release_id: int | None) -> None:
        self.dataset_id = int(dataset_id)
        self.release_id = int(release_id) if release_id else 0
        self.name = _q("layers_value_r", release_id) if release_id else "layers_value_dry_run"

    def create(self) -> None:
        with connection.cursor() as cursor:
            if self.release_id:
                ensure_dataset_partition(self.dataset_id)
                cursor.execute(f"CREATE TABLE {self.name} (LIKE layers_value)")
            else:
                cursor.execute(f"CREATE TEMP TABLE {self.name} (LIKE layers_value) ON COMMIT DROP")

    def attach(self) -> None:
        """Make the values part of layers_value (inside the publishing transaction)."""
        dataset_table = _q("layers_value_d", self.dataset_id)
        with connection.cursor() as cursor:
            # Building the index is a sort: give it memory and both cores.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
            # The CHECK lets ATTACH skip its scan of the rows for the partition bound.
            cursor.execute(
                f"ALTER TABLE {self.name} ADD CONSTRAINT {self.name}_bound CHECK "
                f"(dataset_id = {self.dataset_id} AND release_id = {self.release_id})"
            )
            cursor.execute(
                f"ALTER TABLE {dataset_table} ATTACH PARTITION {self.name} "
                f"FOR VALUES IN ({self.release_id})"
            )

    def copy(self, batches: Iterable[pd.DataFrame], periods: dict[str, PeriodValue]) -> int:
        return copy_batches(
            table=self.name,
            dataset_id=self.dataset_id,
            release_id=self.release_id,
            batches=batches,
            periods=periods,
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


def large_changes(
    *, table: str, dataset_id: int, release_id: int, previous_id: int, factor: float
) -> tuple[int, list[str]]:
    """Values of the release being loaded (in `table`) that moved by more than `factor`
    from the previous published release."""
    statement = _SQL["large_changes"].replace("FROM layers_value AS new", f"FROM {table} AS new")
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
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


_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _binary_rows(ints: np.ndarray, floats: list[np.ndarray]) -> bytes:
    """COPY BINARY tuples: 5 int8 columns then 3 float8 columns (NaN -> NULL).

    Built as one numpy structured array per NULL pattern: far faster than adapting
    each value in Python.
    """
    n = len(ints)
    chunks = []
    code = sum(np.isnan(f).astype(np.int8) << j for j, f in enumerate(floats))
    for value in np.unique(code):
        pattern = [bool(value >> j & 1) for j in range(len(floats))]
        rows = np.flatnonzero(code == value)
        fields: list[tuple[str, str]] = [("n", ">i2")]
        for i in range(5):
            fields += [(f"l{i}", ">i4"), (f"i{i}", ">i8")]
        for j, is_null in enumerate(pattern):
            fields.append((f"fl{j}", ">i4"))
            if not is_null:
                fields.append((f"f{j}", ">f8"))
        out = np.empty(len(rows), dtype=np.dtype(fields))
        out["n"] = 8
        for i in range(5):
            out[f"l{i}"] = 8
            out[f"i{i}"] = ints[rows, i]
        for j, is_null in enumerate(pattern):
            out[f"fl{j}"] = -1 if is_null else 8
            if not is_null:
                out[f"f{j}"] = floats[j][rows]
        chunks.append(out.tobytes())
    assert sum(len(c) for c in chunks) > 0 or n == 0  # noqa: S101
    return b"".join(chunks)


def copy_batches(
    *,
    table: str,
    dataset_id: int,
    release_id: int,
    batches: Iterable[pd.DataFrame],
    periods: dict[str, PeriodValue],
) -> int:
    """Write batches of records (tabular.BATCH_COLUMNS) with binary COPY."""
    cache: dict[str, int] = {}
    written = 0
    pending: list[pd.DataFrame] = []
    n_pending = 0

    def flush() -> None:
        nonlocal written, n_pending
        if not pending:
            return
        frame = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0]
        pending.clear()
        n_pending = 0
        for code in frame["period_code"].unique():
            period_id(periods[code], cache)
        ints = np.column_stack(
            [
                np.full(len(frame), dataset_id, dtype=np.int64),
                np.full(len(frame), release_id, dtype=np.int64),
                frame["indicator_id"].to_numpy(dtype=np.int64),
                frame["period_code"].map(cache).to_numpy(dtype=np.int64),
                frame["area_id"].to_numpy(dtype=np.int64),
            ]
        )
        floats = [
            frame[c].to_numpy(dtype=np.float64) for c in ("value", "numerator", "denominator")
        ]
        statement = _SQL["copy_values"].replace("layers_value", table, 1)
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(_BINARY_HEADER + _binary_rows(ints, floats) + _TRAILER)
        written += len(frame)

    for batch in batches:
        if batch.empty:
            continue
        pending.append(batch)
        n_pending += len(batch)
        if n_pending >= CHUNK:
            flush()
    flush()
    return written
