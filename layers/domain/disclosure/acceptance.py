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
one), so a width proven in one repair round stands in the next: `proven` carries them,
and a round re-examines only the cells that failed and those newly withheld.

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

    `widths` holds, for every withheld cell, a width its interval is proven to have at
    least (exact for failing cells and where both LPs were needed); `failing` are the
    cells short of their need; `helpers` maps a failing cell to published cells whose
    withholding would widen its interval, the most useful and cheapest first.
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

    def components(self, mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(withheld cells, equations touching them) of each connected component, as
        index arrays, ordered by each component's first cell (so results are stable)."""
        n, m = len(self.keys), len(self.equations)
        chosen = mask[self.entry_cell]
        cells, eqs = self.entry_cell[chosen], self.entry_eq[chosen]
        graph = coo_matrix((np.ones(len(cells)), (cells, n + eqs)), shape=(n + m, n + m))
        _, label = connected_components(graph, directed=False)
        inside = np.flatnonzero(mask)
        touched = np.unique(eqs)
        cell_order = np.argsort(label[inside], kind="stable")
        eq_order = np.argsort(label[n + touched], kind="stable")
        cell_labels = label[inside][cell_order]
        eq_labels = label[n + touched][eq_order]
        cell_groups = np.split(inside[cell_order], np.flatnonzero(np.diff(cell_labels)) + 1)
        eq_cuts = np.searchsorted(eq_labels, cell_labels[np.r_[0, np.flatnonzero(np.diff(cell_labels)) + 1]])
        eq_ends = np.searchsorted(eq_labels, cell_labels[np.r_[0, np.flatnonzero(np.diff(cell_labels)) + 1]], side="right")
        eq_sorted = touched[eq_order]
        out = [
            (group, eq_sorted[a:b])
            for group, a, b in zip(cell_groups, eq_cuts, eq_ends, strict=True)
            if len(group)
        ]
        return sorted(out, key=lambda g: int(g[0][0]))

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


def accept(
    structure: Structure,
    hidden: set[str],
    need: Mapping[str, float],
    proven: Mapping[str, float] | None = None,
    blocks: Sequence[Block] = (),
) -> Acceptance:
    """Does every withheld cell keep the width it needs (`need[key]`, default 1)?

    Cells in `hidden` are unknown to the attacker; the structure's values are the true
    values of every cell. `proven` are widths proven in an earlier round (valid because
    widths only grow as more is withheld). `blocks` (the elimination's) give cheap proofs
    block by block before any component is looked at.
    """
    proven = dict(proven or {})
    for block in blocks:
        _prove_block(block, hidden, need, proven)
    keys = structure.keys
    mask = np.zeros(len(keys), dtype=bool)
    mask[[structure.index[k] for k in hidden if k in structure.index]] = True
    want = np.ones(len(keys))
    for key, width in need.items():
        if key in structure.index:
            want[structure.index[key]] = width
    want -= 1e-9
    known = np.zeros(len(keys))
    for key, width in proven.items():
        if key in structure.index:
            known[structure.index[key]] = width
    result = Acceptance([], {})
    # Withheld cells in no equation at all: nothing bounds them.
    result.widths.update({k: INF for k in hidden if k not in structure.index})
    groups = structure.components(mask)
    result.n_components = len(groups) + len(result.widths)
    solver = _Solver(structure)
    for cells, eqs in groups:
        if (known[cells] >= want[cells]).all():
            result.widths.update({keys[i]: float(known[i]) for i in cells})
            continue
        group = [keys[i] for i in cells]
        if len(eqs) == 1:
            one = one_equation(group, structure.equations[int(eqs[0])], structure.values, hidden)
            result.widths.update({k: _integer_width(iv.low, iv.high) for k, iv in one.items()})
            continue
        system = structure.system(cells, eqs, mask)
        widths = solver.certify(system, want[cells], known[cells], directions=not blocks)
        for i, key in enumerate(group):
            result.widths[key] = float(widths[i])
            if widths[i] < want[cells[i]]:
                result.helpers[key] = solver.helpers(i, want[cells[i]] - widths[i])
    result.n_lps = solver.lps
    result.failing = sorted(k for k, w in result.widths.items() if w < need.get(k, 1.0) - 1e-9)
    return result


def _prove_block(
    block: Block, hidden: set[str], need: Mapping[str, float], proven: dict[str, float]
) -> None:
    """Widths proven inside one block, in terms of its units (DISCLOSURE.md 5.3 step C's
    parameterisation): the withheld units are the unknowns, each published total of the
    block an equation, and so is the block's own total even when it is withheld, which
    keeps every total outside the block (the partnership) unchanged. Solutions of this
    narrower system are solutions of the attacker's, so what they prove stands."""
    inside = [k for k in block.cells if k in hidden]
    if not inside or all(proven.get(k, 0.0) >= need.get(k, 1.0) - 1e-9 for k in inside):
        return
    column = block.column
    withheld_units = [column[k] for k in inside if block.is_unit[k]]
    if not withheld_units:
        return
    position = np.full(len(block.units), -1, dtype=np.intp)
    position[withheld_units] = np.arange(len(withheld_units))
    x = np.array(block.value)[withheld_units]
    rows = [np.ones(len(withheld_units))]
    totals: list[str] = []
    sums: list[np.ndarray] = []
    for key, members in block.members.items():
        if block.is_unit[key]:
            continue
        at = position[members]
        at = at[at >= 0]
        row = np.zeros(len(withheld_units))
        row[at] = 1.0
        if key in hidden:
            totals.append(key)
            sums.append(row)
        elif len(at):
            rows.append(row)
    a = np.array(rows)
    d = null_directions(a, x)
    if not d.shape[1]:
        return
    raised, lowered = _moves(d, x)
    high = np.maximum(x, np.maximum(raised.max(axis=1), lowered.max(axis=1)))
    low = np.minimum(x, np.minimum(raised.min(axis=1), lowered.min(axis=1)))
    want = np.array([need.get(block.units[u], 1.0) for u in withheld_units]) - 1e-9
    known = np.array([proven.get(block.units[u], 0.0) for u in withheld_units])
    found = {block.units[u]: float(high[i] - low[i]) for i, u in enumerate(withheld_units)}
    if totals:
        m = np.array(sums)
        x_t = m @ x
        with np.errstate(invalid="ignore"):
            up, down = m @ np.nan_to_num(raised, posinf=1e18), m @ np.nan_to_num(lowered, posinf=1e18)
        t_high = np.maximum(x_t, np.maximum(up.max(axis=1), down.max(axis=1)))
        t_low = np.minimum(x_t, np.minimum(up.min(axis=1), down.min(axis=1)))
        t_high[t_high >= 1e17] = INF
        found.update({k: float(t_high[i] - t_low[i]) for i, k in enumerate(totals)})
    for key, width in found.items():
        if width > proven.get(key, 0.0):
            proven[key] = width


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
        self.costed: int | None = None
        self.duals: dict[int, np.ndarray] = {}
        self.high = self.low = np.zeros(0)

    def certify(
        self, system: _System, want: np.ndarray, known: np.ndarray, *, directions: bool
    ) -> np.ndarray:
        """Proven widths of the component's cells: exact for those whose proofs fall short
        of `want` (a cell that fails on its maximum alone is not minimised: its width is
        at most its maximum, all it needs to fail)."""
        self.system, self.loaded, self.costed, self.duals = system, False, None, {}
        x = self.structure.value[system.cells]
        high, low = x.copy(), x.copy()
        d = null_directions(system.a, x) if directions else np.zeros((len(x), 0))
        if d.shape[1]:
            raised, lowered = _moves(d, x)
            high = np.maximum(high, np.maximum(raised.max(axis=1), lowered.max(axis=1)))
            low = np.minimum(low, np.minimum(raised.min(axis=1), lowered.min(axis=1)))
        self.high, self.low = high, np.maximum(low, 0.0)
        for i in range(len(x)):
            if max(self.high[i] - self.low[i], known[i]) >= want[i]:
                continue
            self._solve(i, maximise=True, keep_duals=True)
            if self.high[i] < want[i]:
                self.low[i] = 0.0  # no cell goes below zero: it fails whatever its minimum
            elif self.high[i] - self.low[i] < want[i]:
                self._solve(i, maximise=False, keep_duals=False)
        return np.maximum(self.high - self.low, known)

    def _load(self) -> None:
        assert self.system is not None
        a, b = self.system.a, self.system.b
        highs = self.highs
        highs.clearModel()
        m, n = a.shape
        highs.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
        rows, cols = np.nonzero(a)
        starts = np.searchsorted(rows, np.arange(m)).astype(np.int32)
        highs.addRows(m, b, b, len(cols), starts, cols.astype(np.int32), a[rows, cols])
        self.loaded = True

    def _solve(self, i: int, *, maximise: bool, keep_duals: bool) -> None:
        """Cell i's max (or min): keep the bound, rounded inwards, and the optimum, which
        is another integer solution for every cell (the systems are totally unimodular
        in practice; a fractional optimum proves nothing and is not used)."""
        if not self.loaded:
            self._load()
        highs = self.highs
        if self.costed is not None:
            highs.changeColCost(self.costed, 0.0)
        highs.changeColCost(i, 1.0)
        self.costed = i
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
                self.high[i] = np.floor(bound + TOLERANCE)
            else:
                self.low[i] = max(0.0, float(np.ceil(bound - TOLERANCE)))
            if keep_duals:
                assert self.system is not None
                y = np.array(solution.row_dual)
                # The optimum is y . b (strong duality; every lower bound is 0): fix the
                # sign convention here rather than trust the solver's for maximisation.
                if abs(y @ self.system.b + bound) < abs(y @ self.system.b - bound):
                    y = -y
                self.duals[i] = y
        elif maximise and status == highspy.HighsModelStatus.kUnbounded:
            self.high[i] = INF
        elif maximise:
            # Cannot happen with true values behind the equations; count it as the
            # narrowest possible so the caller fails closed.
            self.high[i] = self.low[i]
        else:
            self.low[i] = self.high[i]

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
