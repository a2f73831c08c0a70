"""Store a release's values: binary COPY, a chunk at a time, into a table of the
release's own, attached as a partition of `layers_value` when the release is published."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection
from psycopg import Copy
from psycopg.copy import QueuedLibpqWriter

from ingest.pipeline.records import Chunk
from layers.domain.periods import Period as PeriodValue
from layers.models import Period
from layers.sqlfile import load_statements

_SQL = load_statements(Path(__file__).parent.parent / "sql" / "values_write.sql")
_SWEEP_SQL = load_statements(Path(__file__).parent.parent / "sql" / "releases_sweep.sql")


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
    attached as a partition when the release is published (which builds its BRIN index,
    migration 0019, in one pass with no sort): loading is then as cheap as a plain
    COPY, and dropping a release's values is dropping a table."""

    def __init__(self, dataset_id: int, release_id: int) -> None:
        self.dataset_id = int(dataset_id)
        self.release_id = int(release_id)
        self.name = _q("layers_value_r", release_id)

    def create(self) -> None:
        with connection.cursor() as cursor:
            ensure_dataset_partition(self.dataset_id)
            cursor.execute(f"CREATE TABLE {self.name} (LIKE layers_value)")
            # Declared while the table is empty, the CHECK costs nothing here and lets
            # ATTACH skip its scan of the rows for the partition bound.
            cursor.execute(
                f"ALTER TABLE {self.name} ADD CONSTRAINT {self.name}_bound CHECK "
                f"(dataset_id = {self.dataset_id} AND release_id = {self.release_id})"
            )

    def attach(self) -> None:
        """Make the values part of layers_value (inside the publishing transaction)."""
        dataset_table = _q("layers_value_d", self.dataset_id)
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {dataset_table} ATTACH PARTITION {self.name} "
                f"FOR VALUES IN ({self.release_id})"
            )
            # Statistics now, not when autovacuum comes by: with none the planner reads
            # the whole release for one indicator and period instead of using the BRIN
            # index. A small sample is enough to see that the values lie in index order
            # (autovacuum takes a full one later).
            cursor.execute("SET LOCAL default_statistics_target = 10")
            cursor.execute(f"ANALYZE {self.name}")
            cursor.execute("RESET default_statistics_target")


@contextmanager
def working_on(release_id: int | None) -> Iterator[None]:
    """Hold the release's advisory lock while an upload works on it (see sweep)."""
    if release_id is None:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(_SWEEP_SQL["lock_release"], {"release_id": release_id})
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(_SWEEP_SQL["unlock_release"], {"release_id": release_id})


def is_abandoned(release_id: int) -> bool:
    """True when no upload works on the release (call inside a transaction: the check's
    lock is kept until it ends, so no upload can pick the release up meanwhile)."""
    with connection.cursor() as cursor:
        cursor.execute(_SWEEP_SQL["try_lock_release"], {"release_id": release_id})
        return bool(cursor.fetchone()[0])


def drop_leftover_table(release_id: int) -> bool:
    """Drop a release's own table if one was left behind (never a partition)."""
    name = _q("layers_value_r", release_id)
    with connection.cursor() as cursor:
        cursor.execute(_SWEEP_SQL["leftover_table"], {"table": name})
        if cursor.fetchone() is None:
            return False
        cursor.execute(f"DROP TABLE {name}")
    return True


def period_ids(periods: dict[str, PeriodValue]) -> dict[str, int]:
    """The id of each period, creating the ones not seen before (two queries)."""
    known = dict(Period.objects.filter(code__in=list(periods)).values_list("code", "id"))
    missing = [p for code, p in periods.items() if code not in known]
    if missing:
        Period.objects.bulk_create(
            [
                Period(code=p.code, kind=p.kind.value, start_on=p.start_on, end_on=p.end_on)
                for p in missing
            ],
            ignore_conflicts=True,  # another upload may add the same period meanwhile
        )
        known.update(
            Period.objects.filter(code__in=[p.code for p in missing]).values_list("code", "id")
        )
    return known


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


def _tuples(columns: list[int | np.ndarray | None]) -> np.ndarray:
    """COPY BINARY tuples for one run of rows, as one numpy structured array.

    Each column is an int8 constant (`int`), int4, int8 or float8 values (an array of
    int32, int64 or float64), or NULL (`None`). Constant bytes next to each other (field
    counts, lengths, constants, NULLs) are merged into one field written in one pass, so
    a million rows cost a handful of passes over memory, not one per field.
    """
    n = next(len(c) for c in columns if isinstance(c, np.ndarray))
    fields: list[tuple[str, str]] = []
    constant = bytearray(len(columns).to_bytes(2, "big"))
    arrays: dict[str, np.ndarray] = {}
    constants: dict[str, bytes] = {}

    def close() -> None:
        if constant:
            name = f"c{len(fields)}"
            fields.append((name, f"V{len(constant)}"))
            constants[name] = bytes(constant)
            constant.clear()

    for column in columns:
        if column is None:
            constant += (-1).to_bytes(4, "big", signed=True)
        elif isinstance(column, int):
            constant += (8).to_bytes(4, "big") + column.to_bytes(8, "big", signed=True)
        else:
            constant += column.dtype.itemsize.to_bytes(4, "big")
            close()
            name = f"v{len(fields)}"
            fields.append((name, column.dtype.newbyteorder(">").str))
            arrays[name] = column
    close()
    out = np.empty(n, dtype=np.dtype(fields))
    for name, value in constants.items():
        out[name] = np.frombuffer(value, dtype=f"V{len(value)}")[0]
    for name, array in arrays.items():
        out[name] = array
    return out


def _binary_rows(
    constants: list[int], ints: list[np.ndarray], floats: list[np.ndarray | None]
) -> list[np.ndarray]:
    """COPY BINARY tuples (int8 constants, then int4 or int8 columns, then float8 columns
    with NaN as NULL), in the order given (the order matters: see records.py): one structured array
    per run of rows with the same NULLs (usually one run)."""
    n = len(ints[0])
    nulls = [np.ones(n, dtype=bool) if f is None else np.isnan(f) for f in floats]
    pattern = np.zeros(n, dtype=np.int64)
    for j, is_null in enumerate(nulls):
        pattern |= is_null.astype(np.int64) << j
    starts = [0, *(np.flatnonzero(pattern[1:] != pattern[:-1]) + 1).tolist(), n]
    runs = []
    for start, stop in itertools.pairwise(starts):
        code = int(pattern[start])
        columns: list[int | np.ndarray | None] = [*constants]
        columns += [c[start:stop] for c in ints]
        columns += [
            None if code >> j & 1 else f[start:stop]  # type: ignore[index]
            for j, f in enumerate(floats)
        ]
        runs.append(_tuples(columns))
    return runs


def _int4(ids: np.ndarray) -> np.ndarray:
    """Ids as the values table stores them (integer: migration 0019)."""
    if len(ids) and (ids.min() < 0 or ids.max() >= 1 << 31):
        raise ValueError("an id does not fit the values table's integer columns")
    return ids.astype(np.int32)


class ValueStream:
    """Stores chunks of a release's values in its table as they are checked.

    Each chunk is sent through a binary COPY whose bytes a psycopg thread sends while
    this thread goes back to reading and checking the file: the server stores one chunk
    while the next is checked. The COPY is left open between chunks and closed only when
    the connection is needed for something else (new periods to look up, an area code
    of another level to find): any query made through Django while the stream is open
    finishes the COPY first (`pause`). Use as a context manager: leaving it with an
    exception cancels the COPY, and the transaction's rollback removes every value.
    """

    def __init__(
        self,
        table: ReleaseTable,
        period_ids: Callable[[list[str]], dict[str, int]],
    ) -> None:
        self.table = table
        self.period_ids = period_ids
        self._ids: dict[str, int] = {}
        self._copying: AbstractContextManager[Copy] | None = None
        self._copy: Copy | None = None
        self._before_queries: AbstractContextManager[None] | None = None

    def __enter__(self) -> ValueStream:
        # Any query on this connection while a COPY is open would wait for the COPY's
        # lock for ever: every query made through Django finishes the COPY first.
        self._before_queries = connection.execute_wrapper(self._before_query)
        self._before_queries.__enter__()
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        try:
            self._close(error)
        finally:
            if self._before_queries is not None:
                self._before_queries.__exit__(None, None, None)

    def _before_query(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.pause()
        return execute(sql, params, many, context)

    def _close(self, error: BaseException | None = None) -> None:
        copying, self._copying, copy = self._copying, None, self._copy
        self._copy = None
        if copying is None or copy is None:
            return
        if error is None:
            try:
                copy.write(_TRAILER)
            except BaseException as failed:  # the connection failed meanwhile
                # End the COPY all the same: until it ends it holds the connection's
                # lock, and the rollback that follows would wait for it for ever.
                copying.__exit__(type(failed), failed, failed.__traceback__)
                raise
            copying.__exit__(None, None, None)  # waits for the server to store it all
        else:
            copying.__exit__(type(error), error, error.__traceback__)

    def pause(self) -> None:
        """Finish the COPY under way (if any) so that the connection can be used."""
        self._close()

    def write(self, chunk: Chunk) -> None:
        codes = chunk.period_codes
        if len(self._ids) < len(codes):
            self.pause()
            self._ids.update(self.period_ids(codes[len(self._ids) :]))
        period_id = np.array([self._ids[c] for c in codes], dtype=np.int64)
        if self._copy is None:
            statement = _SQL["copy_values"].replace("layers_value", self.table.name, 1)
            raw = connection.cursor().cursor  # Django's debug wrapper does not pass `writer` on
            self._copying = raw.copy(statement, writer=QueuedLibpqWriter(raw))
            self._copy = self._copying.__enter__()
            self._copy.write(_BINARY_HEADER)
        for run in _binary_rows(
            [self.table.dataset_id, self.table.release_id],
            [_int4(chunk.indicator_id), _int4(period_id[chunk.period]), _int4(chunk.area_id)],
            [chunk.value, chunk.numerator, chunk.denominator],
        ):
            # Queued: the psycopg thread sends it while this one reads on.
            self._copy.write(memoryview(run).cast("B"))
