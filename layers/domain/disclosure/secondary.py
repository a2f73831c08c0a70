"""Protect one table of counts: primary rules, secondary (complementary) suppression over
the area hierarchy, the interval audit, repair, fail closed, then rounding.

DISCLOSURE.md sections 4 and 5.3 (steps B to F; step C, elimination, in `elimination.py`
for overlays; step D, the audit, in `acceptance.py`). Pure: the caller gives the finest
units' values and the published totals as groups of children.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

from threadpoolctl import threadpool_limits

from layers.domain.disclosure.acceptance import Acceptance, Structure, accept, narrowest
from layers.domain.disclosure.audit import Equation, UnionFind
from layers.domain.disclosure.cells import Protection, Released
from layers.domain.disclosure.elimination import Block, eliminate
from layers.domain.disclosure.policy import DisclosurePolicy, ZeroPolicy
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
    n_lps: int = 0
    seconds_audit: float = 0.0
    seconds_total: float = 0.0
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
    unpublished: frozenset[str] = frozenset(),
) -> Protected:
    """Released cells for every unit and group, and the report of how.

    - Units with no value are `no_data`; a group's value is the sum of its children with
      data (a group with none is `no_data`).
    - Primary: counts 0 < n < min_count (and zeros, if the policy says) are withheld;
      `forced_hidden` cells (withheld in the previous release) stay withheld.
    - `unpublished` units (of a level finer than the agreement allows; also in
      `forced_hidden`, never shown) need no width where they are exactly zero and the
      policy publishes zeros.
    - Secondary (when the policy turns it on): the cheapest non-zero cells are withheld
      until every withheld cell's attacker interval passes: a primary cell's must be at
      least min_count wide, a secondary cell's must not be a single value. A component
      that still fails after the repair rounds is withheld whole (fail closed).
    - Shown counts are rounded to round_to from their exact value (totals included).
    - `overlays` (opt-in: wards in the protected system) are totals of units that do not
      nest in the groups. With them, complements are chosen by elimination
      (DISCLOSURE.md 5.3 step C) block by block: each of `regions` (group keys, e.g.
      districts) with its units and every total inside it, regions that an overlay
      straddles taken together. That leaves no withheld cell exactly recoverable; the
      audit then checks widths, and a repair withholds, for each cell left too narrow,
      a published cell the audit's LP duals say widens it, and re-runs the elimination
      of its block, which keeps every withheld cell protected (the withheld set only
      grows, so widths only widen and proofs carry over from round to round).
    """
    started = time.perf_counter()
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

    if policy.secondary and hidden:
        # The linear algebra here is many tiny matrices: BLAS threads only contend.
        with threadpool_limits(limits=1, user_api="blas"):
            _secondary(
                hidden,
                values,
                ordered,
                relations,
                primary,
                policy,
                overlays,
                regions,
                units,
                report,
                unpublished,
            )

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
    report.seconds_total = time.perf_counter() - started
    return Protected(released, report)


def _secondary(
    hidden: dict[str, Protection],
    values: Mapping[str, float],
    ordered: Sequence[Group],
    relations: Sequence[tuple[str, tuple[str, ...]]],
    primary: set[str],
    policy: DisclosurePolicy,
    overlays: Sequence[Group],
    regions: Sequence[str],
    units: Mapping[str, float | None],
    report: Report,
    unpublished: frozenset[str] = frozenset(),
) -> None:
    """Secondary suppression, audit, repair and fail closed (steps B to E), in place."""
    width = float(max(policy.min_count, 1))
    need: dict[str, float] = {}
    if policy.zero_policy is ZeroPolicy.PUBLISH:
        # A unit finer than the agreement allows is a variable of the system, never shown.
        # Where it is exactly zero, working it out discloses nothing this policy would not
        # publish (every LSOA of an MSOA whose published total is 0), so it needs no
        # width. Without this it failed the audit, no repair could widen it (its total is
        # 0) and its whole component failed closed.
        need = {k: 0.0 for k in unpublished if values.get(k) == 0 and k not in primary}
    need |= dict.fromkeys(primary, width)
    structure = Structure([Equation(total, children) for total, children in relations], values)
    structure.require(need)
    blocks = _blocks(ordered, values, regions, units) if overlays else []
    for block in blocks:
        _eliminate_block(block, hidden, values, need)
    for round_number in range(1, MAX_REPAIR_ROUNDS + 1):
        report.rounds = round_number
        _local_fix_point(hidden, values, relations)
        found = _audit(structure, hidden, report, blocks)
        if not found.failing:
            break
        if blocks:
            progressed = _repair_blocks(found, blocks, hidden, values, relations, need)
        else:
            progressed = _repair(found.failing, hidden, values, relations)
        if not progressed:
            break
    if found.failing:
        _fail_closed(found.failing, hidden, values, relations, report)
        found = _audit(structure, hidden, report, blocks)
    _record_widths(report, structure, hidden, primary, accepted=not found.failing)
    report.n_components = found.n_components


def _audit(
    structure: Structure,
    hidden: Mapping[str, Protection],
    report: Report,
    blocks: Sequence[Block],
) -> Acceptance:
    """Step D (the structure keeps the widths proven so far: they stand while the
    withheld set grows)."""
    started = time.perf_counter()
    found = accept(structure, set(hidden), blocks)
    report.seconds_audit += time.perf_counter() - started
    report.n_lps += found.n_lps
    return found


def _blocks(
    ordered: Sequence[Group],
    values: Mapping[str, float],
    regions: Sequence[str],
    units: Mapping[str, float | None],
) -> list[Block]:
    """The regions' blocks (with no regions, one block of everything), merged where a
    total straddles two without containing them whole (a ward across two districts).
    Totals over whole blocks (the partnership) stay outside: the local rule and the audit
    see to them."""
    children = {g.key: [c for c in g.children if c in values] for g in ordered}
    region_keys = set(regions)
    region_of: dict[str, str] = {}
    for region in sorted(region_keys & children.keys()):
        stack = [region]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in region_of:
                    region_of[child] = region
                    stack.append(child)
    merged = UnionFind(sorted({"", *region_keys}))
    # Each cell's home region; None for a total over whole regions (outside every block).
    home: dict[str, str | None] = {u: region_of.get(u, "") for u in units if u in values}
    whole: set[str] = set()
    for group in ordered:
        kids = children[group.key]
        if group.key in region_keys:
            home[group.key] = group.key
            whole.add(group.key)
            continue
        if kids and all(c in whole for c in kids):
            home[group.key] = None
            whole.add(group.key)
            continue
        found = [home.get(c) for c in kids]
        if None in found:  # part over whole regions, part not: leave it to the audit
            home[group.key] = None
            continue
        spanned = sorted({h for h in found if h is not None})
        first = spanned[0] if spanned else ""
        for other in spanned[1:]:
            merged.union(first, other)  # a total across regions joins them
        home[group.key] = first
    block_units: dict[str, list[str]] = {}
    for unit in sorted(u for u in units if u in values):
        block_units.setdefault(merged.find(home[unit] or ""), []).append(unit)
    cells: dict[str, dict[str, tuple[str, ...]]] = {
        b: {u: (u,) for u in us} for b, us in block_units.items()
    }
    for group in ordered:
        where = home.get(group.key)
        if where is None or group.key not in values:
            continue
        inside = cells.setdefault(merged.find(where), {})
        # A total's children do not overlap (it is their sum), so neither do their units.
        inside[group.key] = tuple(
            chain.from_iterable(inside.get(c) or (c,) for c in children[group.key])
        )
    return [Block(block_units[b], cells[b], values) for b in sorted(block_units)]


def _eliminate_block(
    block: Block,
    hidden: dict[str, Protection],
    values: Mapping[str, float],
    need: Mapping[str, float],
) -> bool:
    """Step C on one block: withhold what elimination says, keeping every cell already
    withheld in the block protected. True when it withheld something new."""
    protected = {k for k in block.cells if k in hidden}
    if not protected:
        return False
    more = eliminate(block, protected, need)
    for key in more:
        hidden.setdefault(key, Protection.SECONDARY)
    return bool(more)


def _repair_blocks(
    found: Acceptance,
    blocks: Sequence[Block],
    hidden: dict[str, Protection],
    values: Mapping[str, float],
    relations: Sequence[tuple[str, tuple[str, ...]]],
    need: Mapping[str, float],
) -> bool:
    """Step E with overlays: for each failing cell withhold one published cell that the
    audit's duals say widens it (the cheapest that widens it enough), unless one withheld
    in this round already does; failing that, the cheapest visible non-zero member of a
    relation it belongs to. Then re-run the elimination of every block that changed, with
    all its withheld cells protected, so no newly withheld cell is left exact."""
    before = set(hidden)
    fallback: list[str] = []
    for key in found.failing:
        helpers = found.helpers.get(key, [])
        if any(h in hidden and h not in before for h in helpers[:1]):
            continue
        choice = next((h for h in helpers if h not in hidden), None)
        if choice is None:
            fallback.append(key)
        else:
            hidden[choice] = Protection.SECONDARY
    if fallback:
        _repair(fallback, hidden, values, relations)
    changed = set(hidden) - before
    if not changed:
        return False
    for block in blocks:
        if changed & block.cells.keys():
            _eliminate_block(block, hidden, values, need)
    return True


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


def _record_widths(
    report: Report,
    structure: Structure,
    hidden: Mapping[str, Protection],
    primary: set[str],
    accepted: bool,
) -> None:
    """The exact narrowest widths of withheld primary and other cells."""
    withheld = set(hidden)
    report.narrowest_primary = narrowest(structure, withheld, primary, accepted=accepted)
    report.narrowest_secondary = narrowest(
        structure, withheld, withheld - primary, accepted=accepted
    )
