"""Wards in the protected system (opt-in): elimination, then the audit, leaves no
withheld cell recoverable across non-nested MSOAs and wards."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.domain.disclosure.audit import Equation, intervals
from layers.domain.disclosure.cells import Protection, Status
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.disclosure.secondary import Group, protect


def system(values: list[int], msoa_size: int, ward_size: int):
    units = {f"L{i:02d}": float(v) for i, v in enumerate(values)}
    keys = list(units)
    msoas = [Group(f"M{j}", tuple(keys[j : j + msoa_size])) for j in range(0, len(keys), msoa_size)]
    # Wards cut across MSOAs: they start one unit later.
    wards = [
        Group(f"W{j}", tuple(keys[j : j + ward_size])) for j in range(1, len(keys), ward_size)
    ] + [Group("W_", (keys[0],))]
    lad = Group("LAD", tuple(m.key for m in msoas))
    return units, [*msoas, lad], wards


def check(result, units, groups, wards, policy) -> None:
    values = dict(units)
    for g in [*groups[:-1], *wards]:
        values[g.key] = sum(units[c] for c in g.children)
    values["LAD"] = sum(units.values())
    equations = [Equation(g.key, g.children) for g in [*groups, *wards]]
    hidden = {k for k, c in result.cells.items() if c.status is Status.WITHHELD}
    primary = {k for k, c in result.cells.items() if c.protection is Protection.SMALL_COUNT}
    found = intervals(values, hidden, equations)
    for key, interval in found.items():
        need = max(policy.min_count, 1) if key in primary else 1
        assert interval.width >= need - 1e-9, (key, interval, sorted(hidden))


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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(min_value=0, max_value=25), min_size=4, max_size=14),
    st.integers(min_value=2, max_value=5),
    st.integers(min_value=2, max_value=4),
    st.integers(min_value=3, max_value=10),
)
def test_with_wards_no_withheld_cell_can_be_worked_out(values, msoa_size, ward_size, threshold):
    units, groups, wards = system(values, msoa_size, ward_size)
    policy = DisclosurePolicy(min_count=threshold, round_to=0, secondary=True)
    result = protect(units, groups, policy, overlays=wards, regions=["LAD"])
    check(result, units, groups, wards, policy)
