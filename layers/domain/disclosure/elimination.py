"""Secondary suppression by Gaussian elimination, for overlays that do not nest (wards
across MSOAs): the GaussSuppression idea (Statistics Norway; DISCLOSURE.md 5.2 and 5.3
step C), done one block at a time (a district with its LSOAs, MSOAs and wards: every
cell of it sums the block's units, so blocks are independent of each other below the
district totals, and each elimination stays small).

Each cell is a vector over the block's units (a unit is e_u, a total the indicator of its
units). Candidates for publication are taken in a fixed order (zeros first, which are
always published, then totals before units, larger values first, then a stable hash of
the key); a candidate is published only if the protected cells (primary, sticky and
already withheld) all stay outside the span of what is published, so no combination of
published figures gives one of them exactly. Otherwise it is withheld: a secondary cell.
Greedy local repair cannot promise that once overlays chain MSOAs together (it
cascades); elimination does, in one pass.

The span is kept as an incrementally reduced basis restricted to the units not yet
published ("hidden columns"): publishing a unit deletes its column, publishing a total
adds a row. A protected cell is exactly determined iff its reduced vector (its residual)
becomes zero. Pivots are taken on protected units where possible, so that publishing an
ordinary unit usually only deletes a column, which keeps the pass cheap.

Besides exactness, a cheap necessary condition for width (DISCLOSURE.md 5.3 step B,
"sum < T") is kept: a published total containing a primary unit must keep withheld
units summing to at least that unit's protection width, because the unit can range at
most over [0, that sum]; and so must every combination the basis holds whose
coefficients all have one sign (c . x = room bounds x_p by room / c_p). That catches most
of the narrow intervals that MSOAs and wards cut between them. The LP audit (step D,
`acceptance.py`) remains the acceptance test; repair (step E) handles what it finds.

Candidates are published largest first, so the complements withheld are the cheapest
cells (the smallest values), ties broken by a stable hash of the key (step F): the same
table and policy always give the same pattern.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from functools import cached_property

import numpy as np

EPS = 1e-9


def candidate_order(key: str, value: float, size: int) -> tuple[int, int, float, int, str]:
    """Publication order (step F): zeros first (they are never withheld as complements),
    then larger totals, then larger values; ties by a stable hash of the key, then the key."""
    return (0 if value == 0 else 1, -size, -value, zlib.crc32(key.encode()), key)


class Block:
    """A part of the system that elimination (and the audit's proofs) can treat on its own:
    its units and every cell that sums only them (a district with its LSOAs, MSOAs and
    wards). What does not depend on which cells are withheld is worked out once, on first
    use (most blocks of a dense table never need it), as repair rounds eliminate a block
    again."""

    def __init__(
        self,
        units: Sequence[str],
        cells: Mapping[str, Collection[str]],
        values: Mapping[str, float],
    ) -> None:
        self.units = tuple(units)
        self.cells = cells
        self._values = values
        self._where: np.ndarray | None = None

    @cached_property
    def column(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.units)}

    @cached_property
    def value(self) -> list[float]:
        return [self._values.get(u, 0.0) for u in self.units]

    @cached_property
    def values(self) -> dict[str, float]:
        return {k: self._values.get(k, 0.0) for k in self.cells}

    @cached_property
    def members(self) -> dict[str, list[int]]:
        column = self.column
        return {k: sorted(column[u] for u in v) for k, v in self.cells.items()}

    @cached_property
    def is_unit(self) -> dict[str, bool]:
        column = self.column
        return {k: len(v) == 1 and k in column for k, v in self.cells.items()}

    @cached_property
    def order(self) -> list[str]:
        values = self.values
        return sorted(self.cells, key=lambda k: candidate_order(k, values[k], len(self.cells[k])))

    @cached_property
    def keys(self) -> list[str]:
        return sorted(self.cells)

    @cached_property
    def unit_mask(self) -> np.ndarray:
        return np.array([self.is_unit[k] for k in self.keys], dtype=bool)

    @cached_property
    def key_column(self) -> np.ndarray:
        """For each key (in `keys` order) that is a unit, its column; -1 for totals."""
        return np.array([self.column.get(k, -1) if self.is_unit[k] else -1 for k in self.keys])

    @cached_property
    def membership(self) -> np.ndarray:
        """keys x units: 1 where the key's cell sums the unit."""
        out = np.zeros((len(self.keys), len(self.units)))
        for i, key in enumerate(self.keys):
            out[i, self.members[key]] = 1.0
        return out

    def where(self, index: Mapping[str, int]) -> np.ndarray:
        """Positions of the block's keys in another index (the audit's structure); -1 for
        a key it lacks."""
        if self._where is None:
            self._where = np.array([index.get(k, -1) for k in self.keys], dtype=np.intp)
        return self._where

    @cached_property
    def position(self) -> dict[int, float]:
        units = (k for k in self.order if self.is_unit[k])
        return {self.column[key]: float(i) for i, key in enumerate(units)}


def eliminate(
    block: Block,
    protected: set[str],
    widths: Mapping[str, float] | None = None,
) -> set[str]:
    """The cells of one block to withhold besides `protected` (DISCLOSURE.md 5.3 step C).

    `protected` cells (primary, sticky, or withheld earlier) are withheld and must not be
    determined; `widths` gives, for protected units, the protection width their published
    totals must leave them (primary cells: the policy's width). Zero cells are never
    withheld here. A withheld candidate that the published cells determine anyway hides
    nothing and is published after all.
    """
    widths = widths or {}
    column, members, is_unit, value = block.column, block.members, block.is_unit, block.value
    protected_keys = sorted(k for k in protected if k in block.cells)
    if not protected_keys:
        return set()
    # Pivot preference: protected units (never candidates), then the units published
    # last, so that publishing a unit is mostly deleting a column.
    preference = dict(block.position)
    protected_units = {column[k] for k in protected_keys if is_unit[k]}
    for u in protected_units:
        preference[u] = float(len(block.units) + 1)
    guard = {column[k]: widths[k] for k in protected_keys if is_unit[k] and widths.get(k)}
    residuals = [dict.fromkeys(members[k], 1.0) for k in protected_keys if not is_unit[k]]
    span = _Span(protected_units, residuals, preference, guard, value)
    # Published totals over guarded units: the width they need and the withheld sum left.
    need: list[float] = []
    room: list[float] = []
    rows_of_unit: dict[int, list[int]] = {}

    withheld: list[str] = []
    for key in block.order:
        if key in protected:
            continue
        is_zero = block.values[key] == 0
        if is_unit[key]:
            u = column[key]
            touching = rows_of_unit.get(u, ())
            if not is_zero and any(room[i] - value[u] < need[i] - EPS for i in touching):
                withheld.append(key)
                continue
            if not span.publish_unit(u, force=is_zero):
                withheld.append(key)
                continue
            for i in touching:
                room[i] -= value[u]
        else:
            alive = [u for u in members[key] if u not in span.published]
            width = max((guard.get(u, 0.0) for u in alive), default=0.0)
            left = sum(value[u] for u in alive)
            if not is_zero and width and left < width - EPS:
                withheld.append(key)
                continue
            if not span.publish_total(alive, force=is_zero):
                withheld.append(key)
                continue
            if width:
                for u in alive:
                    rows_of_unit.setdefault(u, []).append(len(need))
                need.append(width)
                room.append(left)
    # A withheld cell that the published cells determine anyway hides nothing: publish it.
    return {key for key in withheld if not span.determines(members[key])}


Row = dict[int, float]


class _Span:
    """The span of the published cells, restricted to the units not yet published, as a
    sparse basis in reduced row echelon form (each row has 1 at its pivot column and
    every other row has 0 there).

    A protected unit is determined iff it is the pivot of a row with no other entry; a
    protected total iff its residual (its vector reduced by the basis) is empty. What a
    forced publication (a zero) determined is `lost`: nothing can be done for it here
    (the audit fails it and the caller fails closed), and it must not block every later
    candidate.
    """

    def __init__(
        self,
        protected_units: set[int],
        residuals: list[Row],
        preference: dict[int, float],
        guard: Mapping[int, float],
        value: Sequence[float],
    ) -> None:
        self.protected = protected_units
        self.preference = preference
        self.guard = guard
        self.widest = max(guard.values(), default=0.0)
        self.value = value
        self.narrow: set[int] = set()  # rows left narrow by a forced publication
        self.rows: dict[int, Row] = {}
        self.room: dict[int, float] = {}  # each row . the true values
        self.pivot_of: dict[int, int] = {}
        self.row_of: dict[int, int] = {}
        self.residuals = residuals
        self.res_where: dict[int, set[int]] = {}
        for j, res in enumerate(residuals):
            for col in res:
                self.res_where.setdefault(col, set()).add(j)
        self.lost_units: set[int] = set()
        self.lost: set[int] = set()
        self.published: set[int] = set()
        self.next_row = 0

    def _determines_protected(self, row_id: int, row: Row) -> bool:
        pivot = self.pivot_of[row_id]
        return len(row) == 1 and pivot in self.protected and pivot not in self.lost_units

    def _too_narrow(self, row: Row, room: float) -> bool:
        """A row whose coefficients all have one sign bounds each of its units above: with
        c . x = room (c . the true values, kept up to date with the row), x_p <= room / c_p.
        Too narrow when that is below a guarded unit's width (the "sum < T" rule, on
        every combination the basis holds)."""
        if len(row) < 2:
            return False
        coefficients = row.values()
        if min(coefficients) < 0 < max(coefficients):
            return False
        room = abs(room)
        if room >= self.widest * max(map(abs, coefficients)) - EPS:
            return False  # wide enough for any guarded unit
        guarded = self.guard.keys() & row.keys()
        return any(room < abs(row[c]) * self.guard[c] - EPS for c in guarded)

    def _room(self, row: Row) -> float:
        value = self.value
        return sum(v * value[c] for c, v in row.items())

    def _spoils(self, row_id: int, row: Row, room: float) -> tuple[bool, bool]:
        """Would this row (replacing row_id's) give a protected cell away, or leave a
        guarded unit too narrow (unless a forced publication did that already)? Also
        returns whether it is too narrow, for `_settle`."""
        narrow = self._too_narrow(row, room)
        spoiled = self._determines_protected(row_id, row) or (narrow and row_id not in self.narrow)
        return spoiled, narrow

    def _settle(self, row_id: int, row: Row, narrow: bool) -> None:
        """Bookkeeping after a (possibly forced) change to a row."""
        if self._determines_protected(row_id, row):
            self.lost_units.add(self.pivot_of[row_id])
        if narrow:
            self.narrow.add(row_id)
        else:
            self.narrow.discard(row_id)

    def _reduce(self, cols: Sequence[int]) -> Row:
        r: Row = dict.fromkeys(cols, 1.0)
        for col in cols:
            k = self.row_of.get(col)
            if k is None:
                continue
            factor = r.pop(col)
            for c, v in self.rows[k].items():
                if c != col:
                    x = r.get(c, 0.0) - factor * v
                    if abs(x) < EPS:
                        r.pop(c, None)
                    else:
                        r[c] = x
        return r

    def determines(self, cols: Sequence[int]) -> bool:
        return not self._reduce([c for c in cols if c not in self.published])

    def publish_unit(self, u: int, *, force: bool) -> bool:
        """Publish unit u unless that determines a protected cell (or `force`)."""
        k = self.row_of.get(u)
        if k is None:
            # Not a pivot: publishing it deletes its column.
            hit = {
                i: {c: v for c, v in row.items() if c != u}
                for i, row in self.rows.items()
                if u in row
            }
            rooms = {i: self.room[i] - self.rows[i][u] * self.value[u] for i in hit}
            res_hit = self.res_where.get(u, set())
            checked = {i: self._spoils(i, row, rooms[i]) for i, row in hit.items()}
            if not force and (
                any(spoiled for spoiled, _ in checked.values())
                or any(len(self.residuals[j]) == 1 and j not in self.lost for j in res_hit)
            ):
                return False
            for i, row in hit.items():
                self.rows[i] = row
                self.room[i] = rooms[i]
                self._settle(i, row, checked[i][1])
            for j in res_hit:
                del self.residuals[j][u]
                if not self.residuals[j]:
                    self.lost.add(j)
            self.res_where.pop(u, None)
            self.published.add(u)
            return True
        # u is the pivot of row k: what row k says about the other units becomes known.
        r = dict(self.rows[k])
        del r[u]
        if not r:
            self._drop(k)
        elif not self._add(r, force, replacing=k):
            return False
        self.published.add(u)
        return True

    def publish_total(self, cols: Sequence[int], *, force: bool) -> bool:
        """Publish a total over the (not yet published) units `cols` unless that
        determines a protected cell (or `force`)."""
        r = self._reduce(cols)
        if not r:
            return True  # determined already: publishing it adds nothing
        return self._add(r, force, replacing=None)

    def _drop(self, k: int) -> None:
        del self.rows[k]
        del self.room[k]
        self.narrow.discard(k)
        del self.row_of[self.pivot_of.pop(k)]

    def _add(self, r: Row, force: bool, replacing: int | None) -> bool:
        # Pivot on a protected unit if the row has one (never published, so its row is
        # never rebuilt), else on the unit published last; a coefficient of magnitude
        # at least 1/2 where possible, for stability; ties on the lowest column.
        stable = [c for c in self.protected.intersection(r) if abs(r[c]) > 0.5]
        if stable:
            q = min(stable)
        else:
            q = max(r, key=lambda c: (abs(r[c]) > 0.5, self.preference.get(c, 0.0), -c))
        scale = r[q]
        r = {c: v / scale for c, v in r.items()}
        if not force and len(r) == 1 and q in self.protected:
            return False
        room = self._room(r)
        narrow = self._too_narrow(r, room)
        if not force and narrow:
            return False
        changed: dict[int, Row] = {}
        rooms: dict[int, float] = {}
        for i, row in self.rows.items():
            if q in row and i != replacing:
                changed[i] = _eliminated(row, q, r)
                rooms[i] = self.room[i] - row[q] * room
        res_changed = {j: _eliminated(self.residuals[j], q, r) for j in self.res_where.get(q, ())}
        checked = {i: self._spoils(i, row, rooms[i]) for i, row in changed.items()}
        if not force and (
            any(spoiled for spoiled, _ in checked.values())
            or any(not res and j not in self.lost for j, res in res_changed.items())
        ):
            return False
        for i, row in changed.items():
            self.rows[i] = row
            self.room[i] = rooms[i]
            self._settle(i, row, checked[i][1])
        for j, res in res_changed.items():
            for col in self.residuals[j]:
                self.res_where[col].discard(j)
            self.residuals[j] = res
            for col in res:
                self.res_where.setdefault(col, set()).add(j)
            if not res:
                self.lost.add(j)
        if replacing is not None:
            self._drop(replacing)
        k = self.next_row
        self.next_row += 1
        self.pivot_of[k] = q
        self.row_of[q] = k
        self.rows[k] = r
        self.room[k] = room
        self._settle(k, r, narrow)
        return True


def _eliminated(row: Row, q: int, r: Row) -> Row:
    """row - row[q] * r (r has 1 at q), dropping what cancels."""
    factor = row[q]
    out = dict(row)
    for c, v in r.items():
        x = out.get(c, 0.0) - factor * v
        if abs(x) < EPS:
            out.pop(c, None)
        else:
            out[c] = x
    return out
