"""The checked values of a release, handed on a chunk at a time while the file is read.

Values are not held until the end: each chunk (one chunk of the file, in (indicator,
period, area) order) goes to a writer that stores it while the next chunk is read and
checked, so reading, checking and storing overlap. Only what the whole-file rules need
is kept, about 24 bytes a value:
- duplicates of (indicator, period, area) are found over the whole file at once, whichever
  way a row reached us (read directly, or converted from an older edition);
- the areas seen, for the "no row for these areas" warning.

Within a chunk the values go out in (indicator, period, area) order, so the values of one
indicator and period lie together on disk for the map's reads, and the release's BRIN
index (migration 0019) is built in one pass over them with no sort.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
# (indicator id, area id, period code, value, numerator, denominator): see validate.Record
RecordTuple = tuple[int, int, str, float, float | None, float | None]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Checked values in (indicator, period, area) order; periods as indices into
    `period_codes`, the release's period codes in the order first seen."""

    indicator_id: Ints
    period: Int32s
    area_id: Ints
    value: Floats
    numerator: Floats | None
    denominator: Floats | None
    period_codes: list[str]

    def __len__(self) -> int:
        return len(self.area_id)


@dataclass(frozen=True, slots=True)
class Repeat:
    """A value whose (indicator, period, area) is on an earlier row too."""

    row: int
    indicator_id: int
    area_id: int


@dataclass(frozen=True, slots=True)
class Summary:
    """What the whole file's values come to: how many, the repeats (in row order, the
    later rows), and the distinct areas."""

    n_values: int
    repeats: list[Repeat]
    area_ids: Ints


Write = Callable[[Chunk], None]


def _key(indicator_rank: Int32s, period: Int32s, area: Ints) -> Ints | None:
    """One 63-bit key per value, in (indicator, period, area) order, when the three fit
    in one (they do unless a dataset has over 1,023 indicators, a release over two
    million periods, or an area id over 2^32): one key sorts much faster than three
    columns."""
    fits = not len(area) or (
        indicator_rank.max() < 1 << 10
        and period.max() < 1 << 21
        and area.min() >= 0
        and area.max() < 1 << 32
    )
    if not fits:
        return None
    return (indicator_rank.astype(np.int64) << 53) | (period.astype(np.int64) << 32) | area


def _order(indicator_rank: Int32s, period: Int32s, area: Ints) -> Ints:
    """The (indicator, period, area) order of values (equal ones in no particular order:
    they are repeats, which reject the file)."""
    key = _key(indicator_rank, period, area)
    if key is None:
        return np.lexsort((area, period, indicator_rank))
    return np.argsort(key)


class Records:
    """Values added a few calls at a time, flushed a chunk at a time to `write`."""

    def __init__(self, write: Write | None = None) -> None:
        self.write = write
        self.period_codes: list[str] = []
        self._period_index: dict[str, int] = {}
        self._indicator_rank: dict[int, int] = {}
        self._pending: list[
            tuple[Ints, Int32s, Ints, Floats, Floats | None, Floats | None, Ints]
        ] = []
        # per flushed chunk, in its stored order: indicator rank, period, area, row
        self._kept: list[tuple[Int32s, Int32s, Ints, Ints]] = []
        self.n = 0
        self.n_written = 0

    def period(self, code: str) -> int:
        """The small integer standing for a period code in this release."""
        index = self._period_index.get(code)
        if index is None:
            index = self._period_index[code] = len(self.period_codes)
            self.period_codes.append(code)
        return index

    def add(
        self,
        *,
        indicator_id: Ints | int,
        period: Int32s,
        area_id: Ints,
        value: Floats,
        numerator: Floats | None,
        denominator: Floats | None,
        row: Ints,
    ) -> None:
        n = len(area_id)
        if not n:
            return
        indicators = np.broadcast_to(np.asarray(indicator_id, dtype=np.int64), (n,))
        self._pending.append(
            (
                np.ascontiguousarray(indicators),
                np.asarray(period, dtype=np.int32),
                np.asarray(area_id, dtype=np.int64),
                np.asarray(value, dtype=np.float64),
                None if numerator is None else np.asarray(numerator, dtype=np.float64),
                None if denominator is None else np.asarray(denominator, dtype=np.float64),
                np.asarray(row, dtype=np.int64),
            )
        )
        self.n += n

    def add_tuples(self, records: Iterable[RecordTuple], rows: Iterable[int]) -> None:
        """Records checked one row at a time (rare rows, points)."""
        listed = list(zip(records, rows, strict=True))
        if not listed:
            return

        def floats(values: list[float | None]) -> Floats | None:
            if all(v is None for v in values):
                return None
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        self.add(
            indicator_id=np.array([r[0] for r, _ in listed], dtype=np.int64),
            period=np.array([self.period(r[2]) for r, _ in listed], dtype=np.int32),
            area_id=np.array([r[1] for r, _ in listed], dtype=np.int64),
            value=np.array([r[3] for r, _ in listed], dtype=np.float64),
            numerator=floats([r[4] for r, _ in listed]),
            denominator=floats([r[5] for r, _ in listed]),
            row=np.array([row for _, row in listed], dtype=np.int64),
        )

    def _ranks(self, indicator: Ints) -> Int32s:
        """Each value's indicator as a small integer (ids in the order first seen)."""
        ranks = self._indicator_rank
        for found in distinct_ids(indicator).tolist():
            ranks.setdefault(int(found), len(ranks))
        known = np.array(sorted(ranks), dtype=np.int64)
        rank_of_known = np.array([ranks[int(i)] for i in known], dtype=np.int32)
        return rank_of_known[np.searchsorted(known, indicator)]

    def flush(self, *, write: bool) -> None:
        """Put the values added since the last flush in order and, when `write`, hand
        them to the writer as one chunk (a file with problems is not written on: it is
        rejected whole)."""
        parts, self._pending = self._pending, []
        if not parts:
            return

        def joined(k: int) -> Floats | None:
            if all(p[k] is None for p in parts):
                return None
            return np.concatenate(
                [
                    np.full(len(p[2]), np.nan) if p[k] is None else p[k]  # type: ignore[misc]
                    for p in parts
                ]
            )

        indicator = np.concatenate([p[0] for p in parts])
        period = np.concatenate([p[1] for p in parts])
        area = np.concatenate([p[2] for p in parts])
        row = np.concatenate([p[6] for p in parts])
        rank = self._ranks(indicator)
        order = _order(rank, period, area)
        self._kept.append((rank[order], period[order], area[order], row[order]))
        if write and self.write is not None:
            numerator, denominator = joined(4), joined(5)
            self.write(
                Chunk(
                    indicator_id=indicator[order],
                    period=period[order],
                    area_id=area[order],
                    value=np.concatenate([p[3] for p in parts])[order],
                    numerator=None if numerator is None else numerator[order],
                    denominator=None if denominator is None else denominator[order],
                    period_codes=self.period_codes,
                )
            )
            self.n_written += len(order)

    def finish(self, *, write: bool) -> Summary:
        """Flush what is left, then find repeats over every chunk."""
        self.flush(write=write)
        kept, self._kept = self._kept, []
        if not kept:
            return Summary(0, [], np.empty(0, dtype=np.int64))
        rank = np.concatenate([k[0] for k in kept])
        period = np.concatenate([k[1] for k in kept])
        area = np.concatenate([k[2] for k in kept])
        row = np.concatenate([k[3] for k in kept])
        key = _key(rank, period, area)
        repeats: list[Repeat] = []
        # Only whether two keys are equal matters first: sort the keys, not an order.
        # Without packed keys (rare), go straight to the full search.
        if key is None or bool((np.diff(np.sort(key)) == 0).any()):
            # A repeat rejects the file; report the later rows (rows did not all arrive
            # in file order: converted ones come last).
            order = np.lexsort((row, area, period, rank))
            same = (
                (rank[order][1:] == rank[order][:-1])
                & (period[order][1:] == period[order][:-1])
                & (area[order][1:] == area[order][:-1])
            )
            ids = {rank: indicator for indicator, rank in self._indicator_rank.items()}
            at = order[np.flatnonzero(same) + 1]
            repeats = [
                Repeat(int(row[i]), ids[int(rank[i])], int(area[i]))
                for i in at[np.argsort(row[at], kind="stable")]
            ]
        return Summary(len(row) - len(repeats), repeats, distinct_ids(area))


def distinct_ids(ids: Ints) -> Ints:
    """The distinct ids, sorted (by counting when the ids are small, as database ids are)."""
    if len(ids) and ids.min() >= 0 and ids.max() < 1 << 24:
        return np.flatnonzero(np.bincount(ids)).astype(np.int64)
    return np.unique(ids)
