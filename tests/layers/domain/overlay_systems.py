"""Generated area systems with overlays for the disclosure tests: units (LSOAs) in MSOAs
in districts under one partnership total, and wards that need not nest in MSOAs."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

from layers.domain.disclosure.secondary import Group


def chain(values: list[int], msoa_size: int, ward_size: int):
    """One district: MSOAs of `msoa_size` consecutive units, wards of `ward_size` that
    start one unit later (so they straddle MSOAs), and a one-unit ward at the start."""
    units = {f"L{i:02d}": float(v) for i, v in enumerate(values)}
    keys = list(units)
    msoas = [Group(f"M{j}", tuple(keys[j : j + msoa_size])) for j in range(0, len(keys), msoa_size)]
    wards = [
        Group(f"W{j}", tuple(keys[j : j + ward_size])) for j in range(1, len(keys), ward_size)
    ] + [Group("W_", (keys[0],))]
    lad = Group("LAD", tuple(m.key for m in msoas))
    return units, [*msoas, lad], wards


@st.composite
def systems(draw, max_units: int = 12):
    """Random districts of units, MSOAs of consecutive units within each, and wards that
    are any partition of each district's units (so they need not nest in MSOAs), with
    the partnership total over the districts; sometimes a ward crosses the districts."""
    n_districts = draw(st.integers(min_value=1, max_value=2))
    units: dict[str, float] = {}
    groups: list[Group] = []
    wards: list[Group] = []
    districts = []
    for d in range(n_districts):
        n = draw(st.integers(min_value=3, max_value=max_units // n_districts))
        keys = [f"L{d}{i:02d}" for i in range(n)]
        for key in keys:
            units[key] = float(draw(st.integers(min_value=0, max_value=25)))
        cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=n - 1), max_size=n // 2)))
        msoas = []
        for j, (a, b) in enumerate(itertools.pairwise([0, *cuts, n])):
            msoas.append(Group(f"M{d}{j}", tuple(keys[a:b])))
        labels = draw(st.lists(st.integers(min_value=0, max_value=3), min_size=n, max_size=n))
        for label in sorted(set(labels)):
            members = tuple(k for k, lab in zip(keys, labels, strict=True) if lab == label)
            wards.append(Group(f"W{d}{label}", members))
        district = Group(f"D{d}", tuple(m.key for m in msoas))
        groups += [*msoas, district]
        districts.append(district.key)
    groups.append(Group("ALL", tuple(districts)))
    if n_districts == 2 and draw(st.booleans()):
        # A ward across the district boundary: the first unit of D1 joins a ward of D0
        # (so the two districts' blocks must be taken together).
        moved = "L100"
        wards = [Group(w.key, tuple(u for u in w.children if u != moved)) for w in wards]
        host = next(i for i, w in enumerate(wards) if w.key.startswith("W0"))
        wards[host] = Group(wards[host].key, (*wards[host].children, moved))
        wards = [w for w in wards if w.children]
    return units, groups, wards, districts


def true_values(units, groups, wards) -> dict[str, float]:
    values = dict(units)
    for g in [*groups, *wards]:  # groups are children-first
        values[g.key] = sum(values[c] for c in g.children)
    return values
