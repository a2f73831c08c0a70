"""Protect one table of counts: primary rules, secondary (complementary) suppression over
the area hierarchy, the interval audit, repair, fail closed, then rounding.

DISCLOSURE.md sections 4 and 5.3 (steps B, D, E, F). Pure: the caller gives the finest
units' values and the published totals as groups of children.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from layers.domain.disclosure.audit import Equation, Interval, components, intervals
from layers.domain.disclosure.cells import Protection, Released
from layers.domain.disclosure.elimination import eliminate
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.disclosure.primary import count_protection, round_half_away

MAX_REPAIR_ROUNDS = 10


@dataclass(frozen=True, slots=True)
class Group:
    """A published total: `key` is the sum of its `children` (units or other groups)."""

    key: str
    children: tuple[str, ...]


@dataclass(slots=True)
class Report:
    """What protection did, for the information manager (never published)."""

    n_cells: int = 0
    n_primary: int = 0
    n_secondary: int = 0
    n_sticky: int = 0
    n_failed_closed: int = 0
    rounds: int = 0
    n_components: int = 0
    narrowest_primary: float | None = None
    narrowest_secondary: float | None = None
    policy: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Protected:
    cells: dict[str, Released]
    report: Report


def _cost(key: str, value: float) -> tuple[float, int, str]:
    """Cheapest first: the smallest value, then a stable hash (so ties do not always fall
    on the same corner of the map), then the key."""
    return (value, zlib.crc32(key.encode()), key)


def _sum(children: Sequence[str], values: Mapping[str, float]) -> float | None:
    known = [values[c] for c in children if c in values]
    return sum(known) if known else None


def protect(
    units: Mapping[str, float | None],
    groups: Sequence[Group],
    policy: DisclosurePolicy,
    *,
    forced_hidden: frozenset[str] = frozenset(),
    overlays: Sequence[Group] = (),
    regions: Sequence[str] = (),
) -> Protected:
    """Released cells for every unit and group, and the report of how.

    - Units with no value are `no_data`; a group's value is the sum of its children with
      data (a group with none is `no_data`).
    - Primary: counts 0 < n < min_count (and zeros, if the policy says) are withheld;
      `forced_hidden` cells (withheld in the previous release) stay withheld.
    - Secondary (when the policy turns it on): the cheapest non-zero cells are withheld
      until every withheld cell's attacker interval passes: a primary cell's must be at
      least min_count wide, a secondary cell's must not be a single value. A component
      that still fails after the repair rounds is withheld whole (fail closed).
    - Shown counts are rounded to round_to from their exact value (totals included).
    - `overlays` (opt-in: wards in the protected system) are totals of units that do not
      nest in the groups; with them, complements are first chosen by elimination within
      each of `regions` (group keys, e.g. districts), which leaves no primary cell exactly
      recoverable, then audited and repaired as above.
    """
    groups = [*groups, *overlays]
    values: dict[str, float] = {k: float(v) for k, v in units.items() if v is not None}
    ordered = _in_dependency_order(groups)
    for group in ordered:
        total = _sum(group.children, values)
        if total is not None:
            values[group.key] = total
    relations = [
        (g.key, tuple(c for c in g.children if c in values)) for g in ordered if g.key in values
    ]
    report = Report(n_cells=len(values), policy=policy.describe())
    hidden: dict[str, Protection] = {}
    for key in sorted(values):
        reason = count_protection(values[key], policy)
        if reason is not None:
            hidden[key] = reason
        elif key in forced_hidden:
            hidden[key] = Protection.STICKY
    primary = {k for k, p in hidden.items() if p is not Protection.STICKY}

    if policy.secondary and hidden and overlays:
        _eliminate_by_region(hidden, values, ordered, regions)
    if policy.secondary and hidden:
        equations = [Equation(total, children) for total, children in relations]
        width = float(max(policy.min_count, 1))
        solved: dict[tuple[str, ...], dict[str, Interval]] = {}
        for round_number in range(1, MAX_REPAIR_ROUNDS + 1):
            report.rounds = round_number
            _local_fix_point(hidden, values, relations)
            found = intervals(values, set(hidden), equations, solved)
            failing = sorted(
                k for k, iv in found.items() if iv.width < (width if k in primary else 1.0) - 1e-9
            )
            if not failing:
                _record_widths(report, found, primary)
                break
            if not _repair(failing, hidden, values, relations):
                break
        else:
            failing = _failing(values, hidden, equations, primary, width)
        if failing:
            _fail_closed(failing, hidden, values, relations, report)
            found = intervals(values, set(hidden), equations)
            _record_widths(report, found, primary)
        report.n_components = len(components(set(hidden), equations))

    released: dict[str, Released] = {}
    for key in units:
        if key not in values:
            released[key] = Released.no_data(key)
    for group in groups:
        if group.key not in values:
            released[group.key] = Released.no_data(group.key)
    for key, value in values.items():
        if key in hidden:
            released[key] = Released.withheld(key, hidden[key])
        else:
            released[key] = Released.shown(
                key, round_half_away(value, policy.round_to), policy.round_to
            )
    report.n_primary = len(primary)
    report.n_sticky = sum(1 for p in hidden.values() if p is Protection.STICKY)
    report.n_secondary = sum(1 for p in hidden.values() if p is Protection.SECONDARY)
    report.n_failed_closed = sum(1 for p in hidden.values() if p is Protection.FAILED_CLOSED)
    return Protected(released, report)


def _eliminate_by_region(
    hidden: dict[str, Protection],
    values: Mapping[str, float],
    ordered: Sequence[Group],
    regions: Sequence[str],
) -> None:
    """Step C: elimination within each region (e.g. a district with its MSOAs and wards)."""
    unit_sets: dict[str, frozenset[str]] = {}
    for group in ordered:
        members: set[str] = set()
        for child in group.children:
            if child in values:
                members |= unit_sets.get(child, frozenset({child}))
        unit_sets[group.key] = frozenset(members)
    for region in sorted(regions):
        region_units = unit_sets.get(region)
        if not region_units:
            continue
        cells = {u: frozenset({u}) for u in region_units}
        cells.update(
            {k: v for k, v in unit_sets.items() if v and v <= region_units and k in values}
        )
        protected = {k for k in cells if k in hidden}
        if not protected:
            continue
        rank = {k: len(v) for k, v in cells.items()}
        for key in eliminate(sorted(region_units), cells, values, protected, rank):
            hidden.setdefault(key, Protection.SECONDARY)


def _in_dependency_order(groups: Sequence[Group]) -> list[Group]:
    """Groups whose children are groups come after those children."""
    by_key = {g.key: g for g in groups}
    done: set[str] = set()
    out: list[Group] = []

    def visit(group: Group, trail: frozenset[str]) -> None:
        if group.key in done:
            return
        if group.key in trail:
            raise ValueError(f"groups form a cycle through {group.key}")
        for child in group.children:
            if child in by_key:
                visit(by_key[child], trail | {group.key})
        done.add(group.key)
        out.append(group)

    for group in sorted(groups, key=lambda g: g.key):
        visit(group, frozenset())
    return out


def _hide_cheapest(
    candidates: Sequence[str], hidden: dict[str, Protection], values: Mapping[str, float]
) -> bool:
    """Withhold the cheapest visible non-zero candidate (a zero protects nothing)."""
    visible = [k for k in candidates if k not in hidden and values[k] > 0]
    if not visible:
        return False
    choice = min(visible, key=lambda k: _cost(k, values[k]))
    hidden[choice] = Protection.SECONDARY
    return True


def _local_fix_point(
    hidden: dict[str, Protection],
    values: Mapping[str, float],
    relations: Sequence[tuple[str, tuple[str, ...]]],
) -> None:
    """Step B: a relation (total and its parts) with exactly one withheld member gives it
    away by subtraction, so withhold another: a part if one is left, else the total."""
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            members = (total, *parts)
            n_hidden = sum(1 for m in members if m in hidden)
            if n_hidden == 1 and (
                _hide_cheapest(parts, hidden, values) or _hide_cheapest((total,), hidden, values)
            ):
                changed = True


def _relations_by_member(
    relations: Sequence[tuple[str, tuple[str, ...]]],
) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for relation in relations:
        for member in {relation[0], *relation[1]}:
            index.setdefault(member, []).append(relation)
    return index


def _repair(
    failing: list[str],
    hidden: dict[str, Protection],
    values: Mapping[str, float],
    relations: Sequence[tuple[str, tuple[str, ...]]],
) -> bool:
    """Step E: for each cell the audit failed, withhold the cheapest visible non-zero cell
    of a relation it belongs to (parts before totals). False when nothing could be done."""
    progressed = False
    index = _relations_by_member(relations)
    for key in failing:
        touching = index.get(key, [])
        candidates = sorted({m for t, p in touching for m in p if m != key})
        if _hide_cheapest(candidates, hidden, values):
            progressed = True
            continue
        totals = sorted({t for t, _ in touching if t != key})
        if _hide_cheapest(totals, hidden, values):
            progressed = True
    return progressed


def _failing(
    values: Mapping[str, float],
    hidden: dict[str, Protection],
    equations: Sequence[Equation],
    primary: set[str],
    width: float,
) -> list[str]:
    found = intervals(values, set(hidden), equations)
    return sorted(
        k for k, iv in found.items() if iv.width < (width if k in primary else 1.0) - 1e-9
    )


def _fail_closed(
    failing: list[str],
    hidden: dict[str, Protection],
    values: Mapping[str, float],
    relations: Sequence[tuple[str, tuple[str, ...]]],
    report: Report,
) -> None:
    """Withhold every cell of every relation that touches a failing cell, transitively
    through withheld cells, so nothing in the failing component can be worked out."""
    queue = list(failing)
    seen: set[str] = set()
    index = _relations_by_member(relations)
    while queue:
        key = queue.pop()
        if key in seen:
            continue
        seen.add(key)
        for total, parts in index.get(key, []):
            for member in (total, *parts):
                if member not in hidden:
                    hidden[member] = Protection.FAILED_CLOSED
                if member not in seen:
                    queue.append(member)
    report.notes.append(
        f"failed closed: {len(seen)} cell(s) withheld after {report.rounds} repair round(s)"
    )


def _record_widths(report: Report, found: Mapping[str, Interval], primary: set[str]) -> None:
    prim = [iv.width for k, iv in found.items() if k in primary]
    sec = [iv.width for k, iv in found.items() if k not in primary]
    report.narrowest_primary = min(prim) if prim else None
    report.narrowest_secondary = min(sec) if sec else None
