"""Wards in the protected system (opt-in, DISCLOSURE.md 5.3 steps C-F): elimination per
district, the acceptance audit and repair leave no withheld cell recoverable, or narrower
than it needs, across MSOAs and wards that do not nest. Checked against the full LP audit
(`audit.intervals`, every min and max solved) and, on tiny instances, against a brute
force over integer solutions."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.domain.disclosure.audit import Equation, intervals
from layers.domain.disclosure.cells import Protection, Status
from layers.domain.disclosure.policy import DisclosurePolicy, ZeroPolicy
from layers.domain.disclosure.secondary import Group, protect
from tests.layers.domain.overlay_systems import chain, systems, true_values

PRIMARY = (Protection.SMALL_COUNT, Protection.ZERO)


def attacker(result, units, groups, wards):
    """Every min and max an attacker can reach from what is released (the full LP)."""
    values = true_values(units, groups, wards)
    equations = [Equation(g.key, g.children) for g in [*groups, *wards]]
    hidden = {k for k, c in result.cells.items() if c.status is Status.WITHHELD}
    return intervals(values, hidden, equations), values


def check(result, units, groups, wards, policy) -> None:
    found, _ = attacker(result, units, groups, wards)
    primary = {k for k, c in result.cells.items() if c.protection in PRIMARY}
    for key, interval in found.items():
        need = max(policy.min_count, 1) if key in primary else 1
        assert interval.width >= need - 1e-9, (key, interval)
    for cell in result.cells.values():
        if cell.status is Status.WITHHELD:
            assert cell.value is None and cell.marker == "[c]" and cell.reason == "confidential"


def test_the_ward_differencing_attack_of_the_reference_is_closed():
    # DISCLOSURE.md 5.1: ward W = {L1, L2} straddles MSOA M = {L2..L6}.
    units = {"L1": 30.0, "L2": 4.0, "L3": 25.0, "L4": 40.0, "L5": 35.0, "L6": 50.0}
    groups = [
        Group("M", ("L2", "L3", "L4", "L5", "L6")),
        Group("M0", ("L1",)),
        Group("LAD", ("M", "M0")),
    ]
    wards = [Group("W", ("L1", "L2")), Group("W2", ("L3", "L4", "L5", "L6"))]
    policy = DisclosurePolicy(min_count=10, round_to=0, secondary=True)
    result = protect(units, groups, policy, overlays=wards, regions=["LAD"])
    assert result.cells["L2"].status is Status.WITHHELD
    check(result, units, groups, wards, policy)
    assert result.report.n_failed_closed == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(min_value=0, max_value=25), min_size=4, max_size=14),
    st.integers(min_value=2, max_value=5),
    st.integers(min_value=2, max_value=4),
    st.integers(min_value=3, max_value=10),
)
def test_with_straddling_wards_no_withheld_cell_can_be_worked_out(
    values, msoa_size, ward_size, threshold
):
    units, groups, wards = chain(values, msoa_size, ward_size)
    policy = DisclosurePolicy(min_count=threshold, round_to=0, secondary=True)
    result = protect(units, groups, policy, overlays=wards, regions=["LAD"])
    check(result, units, groups, wards, policy)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems(), st.integers(min_value=3, max_value=10), st.data())
def test_random_hierarchies_with_overlays_leave_nothing_recoverable(system, threshold, data):
    units, groups, wards, districts = system
    keys = sorted({*units, *(g.key for g in [*groups, *wards])})
    sticky = frozenset(data.draw(st.sets(st.sampled_from(keys), max_size=2)))
    policy = DisclosurePolicy(min_count=threshold, round_to=0, secondary=True)
    result = protect(units, groups, policy, forced_hidden=sticky, overlays=wards, regions=districts)
    # (Failing closed is allowed: a sticky zero can be given away by published zeros; what
    # is then released must still give nothing away.)
    check(result, units, groups, wards, policy)
    # Zeros are never chosen as complements (DISCLOSURE.md 4.2).
    for key, cell in result.cells.items():
        if cell.protection is Protection.SECONDARY:
            assert units.get(key, 1.0) != 0 and true_values(units, groups, wards)[key] != 0
    for key in sticky:  # withheld in the previous release: still withheld
        assert result.cells[key].status is Status.WITHHELD


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems(max_units=8), st.integers(min_value=3, max_value=8))
def test_zero_suppression_policy_protects_zeros_too(system, threshold):
    units, groups, wards, districts = system
    policy = DisclosurePolicy(
        min_count=threshold, round_to=0, secondary=True, zero_policy=ZeroPolicy.SUPPRESS
    )
    result = protect(units, groups, policy, overlays=wards, regions=districts)
    check(result, units, groups, wards, policy)


def brute_force(
    units: dict[str, float], groups: list[Group], wards: list[Group], hidden: set[str]
) -> dict[str, tuple[int, int]] | None:
    """An independent attacker: enumerate every integer value of the withheld units
    (each from 0 up to the smallest published total containing it), keep the tables
    whose published totals are right, and give each withheld cell's min and max over
    them. None when some withheld unit is in no published total, or there are too many
    tables to enumerate."""
    totals = {g.key: _units_of(g.key, groups, wards) for g in [*groups, *wards]}
    values = true_values(units, groups, wards)
    published = [k for k in totals if k not in hidden]
    free = sorted(u for u in units if u in hidden)
    caps = []
    for unit in free:
        around = [values[k] for k in published if unit in totals[k]]
        if not around:
            return None
        caps.append(int(min(around)))
    if not free or np.prod([c + 1 for c in caps], dtype=float) > 2e6:
        return None
    grid = np.stack(np.meshgrid(*[np.arange(c + 1) for c in caps], indexing="ij"), axis=-1).reshape(
        -1, len(free)
    )
    position = {u: i for i, u in enumerate(free)}

    def total(key: str) -> np.ndarray:
        known = sum(units[u] for u in totals[key] if u not in position)
        inside = [position[u] for u in totals[key] if u in position]
        return known + grid[:, inside].sum(axis=1)

    ok = np.ones(len(grid), dtype=bool)
    for key in published:
        ok &= total(key) == values[key]
    grid = grid[ok]
    out = {u: (int(grid[:, i].min()), int(grid[:, i].max())) for u, i in position.items()}
    for key in totals:
        if key in hidden:
            sums = total(key)
            out[key] = (int(sums.min()), int(sums.max()))
    return out


def _units_of(key: str, groups: list[Group], wards: list[Group]) -> set[str]:
    by_key = {g.key: g for g in [*groups, *wards]}
    if key not in by_key:
        return {key}
    return set().union(*(_units_of(c, groups, wards) for c in by_key[key].children))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems(max_units=8), st.integers(min_value=3, max_value=8))
def test_after_protection_an_independent_brute_force_finds_nothing_narrow(system, threshold):
    # Tiny tables: enumerate every integer table an attacker could think of; each withheld
    # cell's range is as wide as it must be, and is exactly the LP's.
    units, groups, wards, districts = system
    policy = DisclosurePolicy(min_count=threshold, round_to=0, secondary=True)
    result = protect(units, groups, policy, overlays=wards, regions=districts)
    found, _ = attacker(result, units, groups, wards)
    brute = brute_force(units, groups, wards, set(found))
    if brute is None:
        return
    primary = {k for k, c in result.cells.items() if c.protection in PRIMARY}
    for key, (low, high) in brute.items():
        assert (low, high) == (round(found[key].low), round(found[key].high)), key
        assert high - low >= (threshold if key in primary else 1), (key, low, high)


def test_brute_force_sees_the_ward_attack_on_an_unprotected_pattern():
    # The brute force is not vacuous: with only the small count withheld next to its
    # one-unit ward, it is pinned exactly.
    units, groups, wards = chain([3, 20, 30, 40], 2, 2)
    values = true_values(units, groups, wards)
    assert values["W_"] == 3
    brute = brute_force(units, groups, wards, {"L00", "L01", "W_"})
    assert brute is not None and brute["L00"] == (3, 3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems(), st.integers(min_value=3, max_value=10))
def test_mutation_unhiding_the_only_complement_always_fails_the_audit(system, threshold):
    # In an accepted pattern, a primary cell whose published relation has just one other
    # withheld member is recovered exactly once that member is published.
    units, groups, wards, districts = system
    policy = DisclosurePolicy(min_count=threshold, round_to=0, secondary=True)
    result = protect(units, groups, policy, overlays=wards, regions=districts)
    values = true_values(units, groups, wards)
    equations = [Equation(g.key, g.children) for g in [*groups, *wards]]
    hidden = {k for k, c in result.cells.items() if c.status is Status.WITHHELD}
    primary = {k for k, c in result.cells.items() if c.protection in PRIMARY}
    for eq in equations:
        members = [k for k in (eq.total, *eq.parts) if k in hidden]
        if len(members) != 2 or not primary & set(members):
            continue
        cell = sorted(primary & set(members))[0]
        complement = next(k for k in members if k != cell)
        found = intervals(values, hidden - {complement}, equations)
        assert found[cell].width == 0, (cell, complement, found[cell])


def test_only_complement_mutation_on_a_worked_case():
    units, groups, wards = chain([3, 20, 30, 40, 25, 35, 45, 50], 4, 3)
    policy = DisclosurePolicy(min_count=10, round_to=0, secondary=True)
    result = protect(units, groups, policy, overlays=wards, regions=["LAD"])
    check(result, units, groups, wards, policy)
    values = true_values(units, groups, wards)
    equations = [Equation(g.key, g.children) for g in [*groups, *wards]]
    hidden = {k for k, c in result.cells.items() if c.status is Status.WITHHELD}
    pairs = [
        [k for k in (eq.total, *eq.parts) if k in hidden]
        for eq in equations
        if "L00" in (eq.total, *eq.parts)
    ]
    only = [m for m in pairs if len(m) == 2]
    assert only, "the small count's ward ('W_' of one unit) leaves it one complement"
    for members in only:
        complement = next(k for k in members if k != "L00")
        assert intervals(values, hidden - {complement}, equations)["L00"].width == 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems(), st.integers(min_value=3, max_value=10))
def test_protection_with_overlays_is_deterministic(system, threshold):
    # The same inputs in another order give the same pattern (DISCLOSURE.md 5.3 step F).
    units, groups, wards, districts = system
    policy = DisclosurePolicy(min_count=threshold, round_to=0, secondary=True)
    first = protect(units, groups, policy, overlays=wards, regions=districts)
    again = protect(
        dict(reversed(list(units.items()))),
        list(reversed(groups)),
        policy,
        overlays=list(reversed(wards)),
        regions=list(reversed(districts)),
    )
    assert {k: c.status for k, c in first.cells.items()} == {
        k: c.status for k, c in again.cells.items()
    }
