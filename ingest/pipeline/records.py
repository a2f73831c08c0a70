"""The checked values of a release, held as columns until every row has been read.

Holding them (about 45 bytes a value) does two things a streamed write cannot:
- duplicates of (indicator, period, area) are found over the whole file at once, whichever
  way a row reached us (read directly, or converted from an older edition);
- the values are written in the order of the read index (indicator, period, area), so
  PostgreSQL's sort when it builds that index at publish finds them already in order (one
  pass instead of a sort: for a million values about 1.4 s instead of 5 s on one core),
  and the values of one indicator and period lie together on disk for the map's reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
# (indicator id, area id, period code, value, numerator, denominator): see validate.Record
RecordTuple = tuple[int, int, str, float, float | None, float | None]


@dataclass(frozen=True, slots=True)
class Sorted:
    """Every value in the order of the read index, and the positions of repeats."""

    indicator_id: Ints
    period_id: Ints
    area_id: Ints
    value: Floats
    numerator: Floats | None
    denominator: Floats | None
    # positions (in the sorted arrays) of a value whose (indicator, period, area) is on
    # an earlier row too, and each value's row (only gathered when there are repeats)
    repeated: Ints
    row: Ints

    def __len__(self) -> int:
        return len(self.area_id)


class Records:
    """Values appended a chunk at a time; periods as small integers into `period_codes`."""

    def __init__(self) -> None:
        self.period_codes: list[str] = []
        self._period_index: dict[str, int] = {}
        self._parts: list[
            tuple[Ints, npt.NDArray[np.int32], Ints, Floats, Floats | None, Floats | None, Ints]
        ] = []
        self.n = 0

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
        period: npt.NDArray[np.int32],
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
        self._parts.append(
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

    def sort(self, period_ids: dict[str, int]) -> Sorted:
        """All values in (indicator id, period id, area id, row) order."""
        parts = self._parts
        empty = np.empty(0, dtype=np.int64)
        if not parts:
            return Sorted(empty, empty, empty, np.empty(0), None, None, empty, empty)

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
        period_index = np.concatenate([p[1] for p in parts])
        area = np.concatenate([p[2] for p in parts])
        row = np.concatenate([p[6] for p in parts])
        ids_of_index = np.array([period_ids[c] for c in self.period_codes], dtype=np.int64)
        indicators = distinct_ids(indicator)
        if (
            len(indicators) < 1 << 10
            and len(ids_of_index) < 1 << 21
            and area.min() >= 0
            and area.max() < 1 << 32
        ):
            # One 63-bit key of ranks (which keep the ids' order) sorts much faster than
            # four columns; the ranks are looked up in small tables, not searched.
            indicator_rank = np.zeros(int(indicators[-1]) + 1, dtype=np.int64)
            indicator_rank[indicators] = np.arange(len(indicators))
            period_rank = np.argsort(np.argsort(ids_of_index)).astype(np.int64)
            key = (indicator_rank[indicator] << 53) | (period_rank[period_index] << 32) | area
            order = np.argsort(key, kind="stable")
            sorted_key = key[order]
            repeated = np.flatnonzero(sorted_key[1:] == sorted_key[:-1]) + 1
            if len(repeated):
                # A repeat rejects the file; report the later rows (rows did not all
                # arrive in file order: converted ones come last).
                order = np.lexsort((row, key))
        else:
            period = ids_of_index[period_index]
            order = np.lexsort((row, area, period, indicator))
            same = (
                (indicator[order][1:] == indicator[order][:-1])
                & (period[order][1:] == period[order][:-1])
                & (area[order][1:] == area[order][:-1])
            )
            repeated = np.flatnonzero(same) + 1
        value = np.concatenate([p[3] for p in parts])
        numerator, denominator = joined(4), joined(5)
        self._parts = []
        return Sorted(
            indicator_id=indicator[order],
            period_id=ids_of_index[period_index[order]],
            area_id=area[order],
            value=value[order],
            numerator=None if numerator is None else numerator[order],
            denominator=None if denominator is None else denominator[order],
            repeated=repeated.astype(np.int64),
            row=row[order] if len(repeated) else empty,
        )


def distinct_ids(ids: Ints) -> Ints:
    """The distinct ids, sorted (by counting when the ids are small, as database ids are)."""
    if len(ids) and ids.min() >= 0 and ids.max() < 1 << 24:
        return np.flatnonzero(np.bincount(ids)).astype(np.int64)
    return np.unique(ids)
