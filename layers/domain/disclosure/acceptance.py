"""The acceptance test of a suppression pattern: the LP interval audit of DISCLOSURE.md
5.3 step D, computed only as far as the verdict needs it.

Pure (numpy and highspy). The attacker and the system are those of `audit.intervals`:
published totals are equations over the withheld cells, which are at least zero. A
withheld cell passes when its interval is at least its `need` wide (the protection
width for primary cells; 1 for the others, i.e. not exact).

Two integer solutions of the published equations that differ by at least the need in a
cell prove that cell's width, and they are cheap to find: the true values, and integer
steps from them along a sparse basis of the null space of the equations. Only the cells
left without such a proof get their min and max LPs (HiGHS, one model per connected
component, the objective changed between solves), and every optimum found is another
integer solution that widens the proof for all the others. A cell fails only on its
exact LP bounds, rounded inwards (lower bound up, upper bound down): exact for the
totally unimodular systems of one hierarchy plus one overlay family, conservative
otherwise.

Widths only grow when more cells are withheld (the earlier system is a slice of the new
one), so a width proven in one repair round stands in the next: the `Structure` keeps
them, and a round re-examines only the cells that failed and those newly withheld.

Blocks (the elimination's districts) give most proofs cheaply, in terms of their units;
twins (cells in exactly the same equations: the LSOAs an MSOA and a ward share) need one
LP between them.

For a failing cell the LP's row duals say which published cells would widen it if they
were withheld too (their reduced costs), so repair (step E) can pick one that helps
rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.linalg import qr, solve_triangular
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from layers.domain.disclosure.audit import INF, Equation, one_equation
from layers.domain.disclosure.elimination import Block

TOLERANCE = 1e-7


@dataclass(slots=True)
class Acceptance:
    """The verdict on one suppression pattern.

    `widths` holds, for every withheld cell that passes, a width its interval is proven
    to have at least, and for a failing cell a width its interval has at most (below its
    need either way); `failing` are the cells short of their need; `helpers` maps a
    failing cell to published cells whose withholding would widen its interval, the most
    useful and cheapest first.
    """

    failing: list[str]
    widths: dict[str, float]
    n_components: int = 0
    n_lps: int = 0
    helpers: dict[str, list[str]] = field(default_factory=dict)


class Structure:
    """The published system of one table, fixed while the withheld set changes: every
    equation as index arrays (entries in equation order), so that a round finds the
    connected components of the withheld cells with one sparse graph search, and builds
    each component's matrix with array operations."""

    def __init__(self, equations: Sequence[Equation], values: Mapping[str, float]) -> None:
        self.equations = list(equations)
        keys = sorted({k for eq in self.equations for k in (eq.total, *eq.parts)})
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        eq_of: list[int] = []
        cell_of: list[int] = []
        sign_of: list[float] = []
        for r, eq in enumerate(self.equations):
            for key, sign in ((eq.total, 1.0), *((part, -1.0) for part in eq.parts)):
                eq_of.append(r)
                cell_of.append(self.index[key])
                sign_of.append(sign)
        self.entry_eq = np.array(eq_of, dtype=np.intp)
        self.entry_cell = np.array(cell_of, dtype=np.intp)
        self.entry_sign = np.array(sign_of)
        self.start = np.searchsorted(self.entry_eq, np.arange(len(self.equations) + 1))
        self.value = np.array([values.get(k, 0.0) for k in keys])
        self.values = values
        # The width each cell needs when withheld, and the widths proven so far (they
        # stand from one repair round to the next: widths only grow as more is withheld).
        self.want = np.ones(len(keys)) - 1e-9
        self.proven = np.zeros(len(keys))
        self._components: tuple[bytes, list[tuple[np.ndarray, np.ndarray]]] | None = None
        self._closed: dict[int, bool] = {}

    def require(self, need: Mapping[str, float]) -> None:
        """Widths needed (the protection width for primary cells; 1 by default)."""
        for key, width in need.items():
            if key in self.index:
                self.want[self.index[key]] = width - 1e-9

    def components(self, mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(withheld cells, equations touching them) of each connected component, as
        index arrays, ordered by each component's first cell (so results are stable)."""
        signature = mask.tobytes()
        if self._components is not None and self._components[0] == signature:
            return self._components[1]
        found = self._find_components(mask)
        self._components = (signature, found)
        return found

    def _find_components(self, mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        n, m = len(self.keys), len(self.equations)
        chosen = mask[self.entry_cell]
        cells, eqs = self.entry_cell[chosen], self.entry_eq[chosen]
        graph = coo_matrix((np.ones(len(cells)), (cells, n + eqs)), shape=(n + m, n + m))
        _, label = connected_components(graph, directed=False)
        inside = np.flatnonzero(mask)
        if not len(inside):
            return []
        touched = np.unique(eqs)
        cell_order = np.argsort(label[inside], kind="stable")  # cells stay ascending
        eq_order = np.argsort(label[n + touched], kind="stable")
        cell_labels = label[inside][cell_order]
        eq_labels = label[n + touched][eq_order]
        starts = np.r_[0, np.flatnonzero(np.diff(cell_labels)) + 1]
        first = np.searchsorted(eq_labels, cell_labels[starts], side="left")
        last = np.searchsorted(eq_labels, cell_labels[starts], side="right")
        eq_sorted = touched[eq_order]
        out = [
            (group, eq_sorted[a:b])
            for group, a, b in zip(
                np.split(inside[cell_order], starts[1:]), first, last, strict=True
            )
        ]
        return sorted(out, key=lambda g: int(g[0][0]))

    def closed(self, block: Block) -> bool:
        """Does every equation that touches the block lie inside it, or touch it only
        through a total of all its units (which proofs keep fixed)? Only then are
        solutions of the block's equations solutions of the whole system."""
        if id(block) not in self._closed:
            self._closed[id(block)] = self._is_closed(block)
        return self._closed[id(block)]

    def _is_closed(self, block: Block) -> bool:
        where = block.where(self.index)
        inside = np.zeros(len(self.keys), dtype=bool)
        inside[where[where >= 0]] = True
        whole = np.zeros(len(self.keys), dtype=bool)
        full = np.array([len(block.members[k]) == len(block.units) for k in block.keys])
        whole[where[(where >= 0) & full]] = True
        hits = inside[self.entry_cell]
        touched = np.unique(self.entry_eq[hits])
        partly = touched[
            np.bincount(self.entry_eq[hits], minlength=len(self.equations))[touched]
            < (self.start[touched + 1] - self.start[touched])
        ]
        if not len(partly):
            return True
        crossing = np.isin(self.entry_eq, partly) & hits
        return bool(whole[self.entry_cell[crossing]].all())

    def system(self, cells: np.ndarray, eqs: np.ndarray, mask: np.ndarray) -> _System:
        """The component's equations over its withheld cells, published values moved to
        the right-hand side."""
        lengths = self.start[eqs + 1] - self.start[eqs]
        entries = np.repeat(self.start[eqs] - np.cumsum(np.r_[0, lengths[:-1]]), lengths)
        entries += np.arange(lengths.sum())
        row = np.repeat(np.arange(len(eqs)), lengths)
        cell = self.entry_cell[entries]
        sign = self.entry_sign[entries]
        withheld = mask[cell]
        column = np.full(len(self.keys), -1, dtype=np.intp)
        column[cells] = np.arange(len(cells))
        a = np.zeros((len(eqs), len(cells)))
        np.add.at(a, (row[withheld], column[cell[withheld]]), sign[withheld])
        published, where = np.unique(cell[~withheld], return_inverse=True)
        p = np.zeros((len(eqs), len(published)))
        np.add.at(p, (row[~withheld], where), sign[~withheld])
        b = -(p @ self.value[published])
        return _System(cells, a, b, published, p)


def accept(structure: Structure, hidden: set[str], blocks: Sequence[Block] = ()) -> Acceptance:
    """Does every withheld cell keep the width it needs (`Structure.require`, default 1)?

    Cells in `hidden` are unknown to the attacker; the structure's values are the true
    values of every cell. Widths proven in an earlier round are kept in the structure
    (valid because widths only grow as more is withheld). `blocks` (the elimination's)
    give cheap proofs block by block before any component is looked at; a block that an
    equation crosses (other than through its own total) is left to the LPs.
    """
    keys, index = structure.keys, structure.index
    mask = np.zeros(len(keys), dtype=bool)
    mask[[index[k] for k in hidden if k in index]] = True
    want = structure.want
    for block in blocks:
        if structure.closed(block):
            _prove_block(block, mask, structure)
    proven = structure.proven
    result = Acceptance([], {})
    # Withheld cells in no equation at all: nothing bounds them.
    loose = {k: INF for k in hidden if k not in index}
    groups = structure.components(mask)
    result.n_components = len(groups) + len(loose)
    solver = _Solver(structure)
    helpers: dict[int, list[str]] = {}
    failing: dict[int, float] = {}
    for cells, eqs in groups:
        if (proven[cells] >= want[cells]).all():
            continue
        if len(eqs) == 1:
            group = [keys[i] for i in cells]
            one = one_equation(group, structure.equations[int(eqs[0])], structure.values, hidden)
            proven[cells] = [_integer_width(one[k].low, one[k].high) for k in group]
            continue
        system = structure.system(cells, eqs, mask)
        widths = solver.certify(system, want[cells], proven[cells], directions=not blocks)
        short = widths < want[cells]
        # A failing cell's width is at most this (its maximum; its minimum was not asked
        # for): keep it for the verdict and the helpers, not as a proof.
        proven[cells] = np.where(short, proven[cells], widths)
        for i in np.flatnonzero(short):
            failing[int(cells[i])] = float(widths[i])
            helpers[int(cells[i])] = solver.helpers(int(i), want[cells[i]] - widths[i])
    inside = np.flatnonzero(mask)
    short_inside = inside[proven[inside] < want[inside]]
    result.widths = {keys[i]: float(proven[i]) for i in inside} | loose
    result.widths |= {keys[i]: failing.get(int(i), float(proven[i])) for i in short_inside}
    result.failing = [keys[i] for i in short_inside]
    result.helpers = {keys[i]: found for i, found in helpers.items()}
    result.n_lps = solver.lps
    return result


def narrowest(
    structure: Structure, hidden: set[str], keys: set[str], *, accepted: bool
) -> float | None:
    """The exact narrowest width among the withheld `keys` (for the report): cells are
    taken by their proven width, smallest first, and solved exactly until no proven
    width is below the narrowest found (or, when the audit `accepted` the pattern, one
    is found at the smallest need, below which none can be). Call after `accept`."""
    index, proven = structure.index, structure.proven
    cells = sorted((index[k] for k in keys & hidden if k in index), key=lambda i: (proven[i], i))
    if not cells:
        return INF if keys & hidden else None
    floor = float(structure.want[cells].min()) if accepted else -INF
    mask = np.zeros(len(structure.keys), dtype=bool)
    mask[[index[k] for k in hidden if k in index]] = True
    groups = structure.components(mask)
    home = {int(c): g for g, (members, _) in enumerate(groups) for c in members}
    solver = _Solver(structure)
    best, current = INF, -1
    for i in cells:
        if proven[i] >= best:
            break
        members, eqs = groups[home[i]]
        if not len(eqs):
            width = INF
        elif len(eqs) == 1:
            group = [structure.keys[c] for c in members]
            one = one_equation(group, structure.equations[int(eqs[0])], structure.values, hidden)
            interval = one[structure.keys[i]]
            width = _integer_width(interval.low, interval.high)
        else:
            if current != home[i]:
                solver.begin(structure.system(members, eqs, mask))
                current = home[i]
            width = solver.exact_width(int(np.flatnonzero(members == i)[0]))
        best = min(best, width)
        if best <= floor + 1e-6:  # want is the need less 1e-9
            break
    return best


def _prove_block(block: Block, mask: np.ndarray, structure: Structure) -> None:
    """Widths proven inside one block, in terms of its units (DISCLOSURE.md 5.3 step C's
    parameterisation): the withheld units are the unknowns, each published total of the
    block an equation, and so is the block's own total even when it is withheld, which
    keeps every total outside the block (the partnership) unchanged. Solutions of this
    narrower system are solutions of the attacker's, so what they prove stands."""
    index = structure.index
    where = block.where(index)
    withheld = mask[where] & (where >= 0)
    if (
        not withheld.any()
        or (structure.proven[where[withheld]] >= structure.want[where[withheld]]).all()
    ):
        return
    is_unit = block.unit_mask
    withheld_units = np.flatnonzero(withheld & is_unit)  # positions in block.keys
    if not len(withheld_units):
        return
    unit_columns = block.key_column[withheld_units]
    x = np.array(block.value)[unit_columns]
    over = block.membership[:, unit_columns]  # every cell of the block over these units
    published_totals = ~is_unit & ~withheld & over.any(axis=1)
    totals = np.flatnonzero(~is_unit & withheld)
    a = np.vstack([np.ones(len(unit_columns)), over[published_totals]])
    d = null_directions(a, x)
    raised, lowered = _moves(d, x)
    high = np.maximum(
        x, np.maximum(raised.max(axis=1, initial=-INF), lowered.max(axis=1, initial=-INF))
    )
    low = np.minimum(
        x, np.minimum(raised.min(axis=1, initial=INF), lowered.min(axis=1, initial=INF))
    )
    # Twins (units in the same published totals) can empty into each other.
    twin = twins(a)
    paired = np.bincount(twin)[twin] > 1
    low[paired] = 0.0
    high = np.maximum(high, np.where(paired, np.bincount(twin, weights=x)[twin], high))
    found = np.zeros(len(where))
    found[withheld_units] = high - low
    if len(totals) and d.shape[1]:
        m = over[totals]
        x_t = m @ x
        up = m @ np.nan_to_num(raised, posinf=1e18)
        down = m @ np.nan_to_num(lowered, posinf=1e18)
        t_high = np.maximum(x_t, np.maximum(up.max(axis=1), down.max(axis=1)))
        t_low = np.minimum(x_t, np.minimum(up.min(axis=1), down.min(axis=1)))
        t_high[t_high >= 1e17] = INF
        found[totals] = t_high - t_low
    np.maximum.at(structure.proven, where[withheld], found[withheld])


def twins(a: np.ndarray) -> np.ndarray:
    """A class number per column of `a`; equal for equal columns (cells in exactly the
    same equations with the same signs). Columns are hashed by a fixed projection, then
    every class is checked entry by entry, so a collision can only split a class."""
    if not a.size:
        return np.arange(a.shape[1])
    key = _PROJECTION[: a.shape[0]] @ a if a.shape[0] <= len(_PROJECTION) else a.sum(axis=0)
    _, first, label = np.unique(key, return_index=True, return_inverse=True)
    label = label.ravel()
    same = (a == a[:, first[label]]).all(axis=0)
    label = np.where(same, label, len(first) + np.arange(a.shape[1]))
    return label


_PROJECTION = np.random.default_rng(20260501).uniform(1.0, 2.0, 4096)


def _moves(d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The solutions reached from x by the furthest integer step along each direction
    (column of d), up and down, that keeps every cell at zero or more (a direction that
    lowers nothing goes on for ever: infinite)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(d < 0, np.floor(x[:, None] / -d + 1e-9), INF).min(axis=0)
        down = np.where(d > 0, np.floor(x[:, None] / d + 1e-9), INF).min(axis=0)
        raised = np.where(d != 0, x[:, None] + d * up, x[:, None])
        lowered = np.where(d != 0, x[:, None] - d * down, x[:, None])
    raised = np.nan_to_num(raised, nan=0.0, posinf=INF, neginf=-INF)
    lowered = np.nan_to_num(lowered, nan=0.0, posinf=INF, neginf=-INF)
    return raised, lowered


def _integer_width(low: float, high: float) -> float:
    """Width of the integers in [low, high]."""
    if high == INF:
        return INF
    return float(np.floor(high + TOLERANCE) - np.ceil(low - TOLERANCE))


@dataclass(slots=True)
class _System:
    """One component: a x_withheld + p x_published = 0 for each of its equations (rows);
    `cells` and `published` are indices into the structure's keys."""

    cells: np.ndarray
    a: np.ndarray
    b: np.ndarray  # -p x_published
    published: np.ndarray
    p: np.ndarray


def null_directions(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Integer directions d with a d = 0 (as columns): one per free column of a basis of
    the columns of `a`, whose basic columns are picked (QR with column pivoting on the
    columns weighted by value) mostly among the cells with the largest values, so the
    free columns, which move by 1, are small cells and the cells that absorb the move are
    large ones. Directions that are not integer prove nothing about integer solutions and
    are dropped (with totally unimodular systems there are none)."""
    m, n = a.shape
    if n == 0 or m == 0:
        return np.eye(n)
    weight = 1.0 + x / (1.0 + float(x.max(initial=0.0)))
    _, r, order = qr(a * weight, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > 1e-9 * max(1.0, float(diagonal.max(initial=0.0)))).sum())
    basic, free = order[:rank], order[rank:]
    d = np.zeros((n, len(free)))
    d[free, np.arange(len(free))] = 1.0
    if rank and len(free):
        coefficients = solve_triangular(r[:rank, :rank], r[:rank, rank:])
        d[basic] = -coefficients * weight[basic, None] / weight[None, free]
    integral = (np.abs(d - np.round(d)) < 1e-7).all(axis=0)
    return np.round(d[:, integral])


class _Solver:
    """Widths of the cells of one component at a time, with one HiGHS instance for the
    whole audit (a new model per component: a x = b, x >= 0). Only the objective changes
    between solves, so the last optimal basis stays feasible and the primal simplex
    restarts from it in a step or two. `high` and `low` are the extremes of the integer
    solutions seen; an LP optimum replaces one of them (rounded inwards) for its cell."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")  # tiny problems: it costs more than it saves
        self.highs.setOptionValue("simplex_strategy", 4)  # primal: warm from the last basis
        self.lps = 0
        self.system: _System | None = None
        self.loaded = False
        self.costed: list[int] = []
        self.duals: dict[int, np.ndarray] = {}
        self.high = self.low = np.zeros(0)

    def certify(
        self, system: _System, want: np.ndarray, known: np.ndarray, *, directions: bool
    ) -> np.ndarray:
        """Proven widths of the component's cells: exact for those whose proofs fall short
        of `want` (a cell that fails on its maximum alone is not minimised: its width is
        at most its maximum, all it needs to fail)."""
        self.begin(system)
        x = self.structure.value[system.cells]
        high, low = x.copy(), x.copy()
        d = null_directions(system.a, x) if directions else np.zeros((len(x), 0))
        if d.shape[1]:
            raised, lowered = _moves(d, x)
            high = np.maximum(high, np.maximum(raised.max(axis=1), lowered.max(axis=1)))
            low = np.minimum(low, np.minimum(raised.min(axis=1), lowered.min(axis=1)))
        # Twins: cells in exactly the same equations (the LSOAs an MSOA and a ward share).
        # Each can be emptied into another, and can take all of theirs: its minimum is 0
        # and its maximum is the twins' joint maximum, one LP for all of them.
        twin = twins(system.a)
        size = np.bincount(twin)
        together = np.bincount(twin, weights=x)
        paired = size[twin] > 1
        low[paired] = 0.0
        high = np.maximum(high, np.where(paired, together[twin], high))
        self.high, self.low = high, np.maximum(low, 0.0)
        for i in range(len(x)):
            if max(self.high[i] - self.low[i], known[i]) >= want[i]:
                continue
            group = np.flatnonzero(twin == twin[i]) if paired[i] else np.array([i])
            self._solve(group, maximise=True, keep_duals=True)
            if self.high[i] < want[i]:
                self.low[i] = 0.0  # no cell goes below zero: it fails whatever its minimum
            elif self.high[i] - self.low[i] < want[i]:
                self._solve(group, maximise=False, keep_duals=False)
        widths: np.ndarray = np.maximum(self.high - self.low, known)
        return widths

    def begin(self, system: _System) -> None:
        """Work on another component from now on."""
        self.system, self.loaded, self.costed, self.duals = system, False, [], {}
        x = self.structure.value[system.cells]
        self.high, self.low = x.copy(), x.copy()

    def exact_width(self, i: int) -> float:
        """Cell i's exact width (its LP bounds, rounded inwards)."""
        self._solve(np.array([i]), maximise=True, keep_duals=False)
        self._solve(np.array([i]), maximise=False, keep_duals=False)
        return float(self.high[i] - self.low[i])

    def _load(self) -> None:
        if self.system is None:
            raise RuntimeError("no component to load: call begin() first")
        a, b = self.system.a, self.system.b
        highs = self.highs
        highs.clearModel()
        m, n = a.shape
        highs.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
        rows, cols = np.nonzero(a)
        starts = np.searchsorted(rows, np.arange(m)).astype(np.int32)
        highs.addRows(m, b, b, len(cols), starts, cols.astype(np.int32), a[rows, cols])
        self.loaded = True

    def _solve(self, group: np.ndarray, *, maximise: bool, keep_duals: bool) -> None:
        """The max (or min) of a cell, or of the sum of a group of twins (which is each
        twin's max; a twin's min is 0 and is not asked for): keep the bound, rounded
        inwards, and the optimum, which is another integer solution for every cell (the
        systems are totally unimodular in practice; a fractional optimum proves nothing
        and is not used)."""
        if not self.loaded:
            self._load()
        highs = self.highs
        for c in self.costed:
            highs.changeColCost(c, 0.0)
        for c in group:
            highs.changeColCost(int(c), 1.0)
        self.costed = [int(c) for c in group]
        highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )
        highs.run()
        self.lps += 1
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            bound = highs.getObjectiveValue()
            solution = highs.getSolution()
            point = np.array(solution.col_value)
            rounded = np.round(point)
            if (np.abs(point - rounded) < TOLERANCE).all():
                np.maximum(self.high, rounded, out=self.high)
                np.minimum(self.low, rounded, out=self.low)
            if maximise:
                self.high[group] = np.floor(bound + TOLERANCE)
            else:
                self.low[group] = max(0.0, float(np.ceil(bound - TOLERANCE)))
            if keep_duals and self.system is not None:
                y = np.array(solution.row_dual)
                # The optimum is y . b (strong duality; every lower bound is 0): fix the
                # sign convention here rather than trust the solver's for maximisation.
                if abs(y @ self.system.b + bound) < abs(y @ self.system.b - bound):
                    y = -y
                for c in group:
                    self.duals[int(c)] = y
        elif maximise and status == highspy.HighsModelStatus.kUnbounded:
            self.high[group] = INF
        elif maximise:
            # Cannot happen with true values behind the equations; count it as the
            # narrowest possible so the caller fails closed.
            self.high[group] = self.low[group]
        else:
            self.low[group] = self.high[group]

    def helpers(self, i: int, short: float) -> list[str]:
        """Published cells that would widen cell i if withheld, best first.

        Withholding published cell c turns its value v_c into an unknown v_c + t
        (t >= -v_c); by the optimal duals y of cell i's max LP the maximum moves at the
        rate r_c = -y . p_c, so c helps when r_c != 0: by up to |r_c| v_c when t must be
        negative, without that limit when positive. Cells that help by at least `short`
        come first, cheapest first; then the others by how much they help. Zeros never.
        """
        y = self.duals.get(i)
        if y is None or self.system is None:
            return []
        structure = self.structure
        rate = -(y @ self.system.p)
        ranked: list[tuple[int, float, float, str]] = []
        for c in np.flatnonzero(np.abs(rate) > 1e-9):
            cell = int(self.system.published[c])
            key, value = structure.keys[cell], float(structure.value[cell])
            if value <= 0:
                continue
            gain = INF if rate[c] > 0 else -rate[c] * value
            if gain >= short - 1e-9:
                ranked.append((0, value, 0.0, key))
            else:
                ranked.append((1, -gain, value, key))
        return [key for *_, key in sorted(ranked)]
