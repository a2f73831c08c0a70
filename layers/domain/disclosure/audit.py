"""The attacker's view: for every withheld cell, the interval of values consistent with
everything published (DISCLOSURE.md section 5, step D).

Pure (numpy, scipy and highspy, no Django). Published totals are linear equations over
the cells; withheld cells are the unknowns, bounded below by zero. Each connected group
of unknowns (sharing an equation) is solved on its own with HiGHS: for each unknown,
minimise and then maximise it, changing only the cost vector so each solve warm-starts
from the last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

INF = float("inf")


@dataclass(frozen=True, slots=True)
class Equation:
    """`total` = sum of `parts` (keys of cells)."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


class UnionFind:
    def __init__(self, keys: Sequence[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, k: str) -> str:
        root = k
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[k] != root:
            self.parent[k], k = root, self.parent[k]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def components(hidden: set[str], equations: Sequence[Equation]) -> list[list[str]]:
    """Groups of withheld cells linked by equations (sorted, so results are stable)."""
    uf = UnionFind(sorted(hidden))
    for eq in equations:
        members = [k for k in (eq.total, *eq.parts) if k in hidden]
        for other in members[1:]:
            uf.union(members[0], other)
    groups: dict[str, list[str]] = {}
    for key in sorted(hidden):
        groups.setdefault(uf.find(key), []).append(key)
    return sorted(groups.values(), key=lambda g: g[0])


def intervals(
    values: Mapping[str, float],
    hidden: set[str],
    equations: Sequence[Equation],
    cache: dict[tuple[str, ...], dict[str, Interval]] | None = None,
) -> dict[str, Interval]:
    """The interval an attacker can reach for each withheld cell.

    `values` holds every cell with data (its true value); cells in `hidden` are unknown
    to the attacker, all others are published. Equations with no withheld cell tell
    nothing and are skipped. A cell in no equation is unbounded above.
    """
    touching: dict[str, list[Equation]] = {}
    for eq in equations:
        for key in {eq.total, *eq.parts}:
            if key in hidden:
                touching.setdefault(key, []).append(eq)
    out: dict[str, Interval] = {}
    for group in components(hidden, equations):
        # A component's intervals depend only on its withheld cells (the equations and
        # values are fixed for one table), so repair rounds re-solve only what changed.
        signature = tuple(group)
        if cache is not None and signature in cache:
            out.update(cache[signature])
            continue
        rows = {id(eq): eq for key in group for eq in touching.get(key, [])}
        if not rows:
            found = {key: Interval(0.0, INF) for key in group}
        elif len(rows) == 1:
            found = one_equation(group, next(iter(rows.values())), values, hidden)
        else:
            found = _solve_component(group, list(rows.values()), values, hidden)
        if cache is not None:
            cache[signature] = found
        out.update(found)
    return out


def one_equation(
    group: list[str], eq: Equation, values: Mapping[str, float], hidden: set[str]
) -> dict[str, Interval]:
    """The LP's answer in closed form when one equation links the unknowns (most
    components: a published MSOA total over its withheld LSOAs).

    With the total published as b and k withheld parts: one part is exactly b minus the
    rest; with k >= 2 each lies in [0, b - published parts]. With the total withheld as
    well, nothing bounds anything from above: the total is at least the published parts.
    """
    parts = [p for p in eq.parts if p in hidden]
    known = sum(values.get(p, 0.0) for p in eq.parts if p not in hidden)
    if eq.total not in hidden:
        room = values.get(eq.total, 0.0) - known
        if len(parts) == 1:
            return {parts[0]: Interval(room, room)}
        return {p: Interval(0.0, room) for p in group}
    if not parts:
        return {eq.total: Interval(known, known)}
    return {key: Interval(known if key == eq.total else 0.0, INF) for key in group}


def _solve_component(
    group: list[str], equations: list[Equation], values: Mapping[str, float], hidden: set[str]
) -> dict[str, Interval]:
    index = {key: i for i, key in enumerate(group)}
    n = len(group)
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("presolve", "off")  # tiny problems: presolve costs more than it saves
    lower = np.zeros(n)
    upper = np.full(n, highspy.kHighsInf)
    highs.addVars(n, lower, upper)
    for eq in equations:
        coefficients: dict[int, float] = {}
        rhs = 0.0
        for key, sign in ((eq.total, 1.0), *((p, -1.0) for p in eq.parts)):
            if key in hidden:
                coefficients[index[key]] = coefficients.get(index[key], 0.0) + sign
            else:
                rhs -= sign * values.get(key, 0.0)
        cols = np.array(list(coefficients), dtype=np.int32)
        vals = np.array(list(coefficients.values()), dtype=np.float64)
        highs.addRow(rhs, rhs, len(cols), cols, vals)
    result: dict[str, Interval] = {}
    cost = np.zeros(n)
    for key, i in index.items():
        bounds = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            cost[:] = 0.0
            cost[i] = 1.0
            highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            highs.changeObjectiveSense(sense)
            highs.run()
            status = highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                bounds.append(highs.getInfo().objective_function_value)
            elif status == highspy.HighsModelStatus.kUnbounded:
                bounds.append(INF)
            else:
                # Infeasible cannot happen with true values behind the equations; treat
                # anything unexpected as the narrowest possible so the caller fails closed.
                bounds.append(values.get(key, 0.0))
        result[key] = Interval(max(0.0, bounds[0]), bounds[1])
    return result
