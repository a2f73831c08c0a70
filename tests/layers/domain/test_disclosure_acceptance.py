"""The acceptance audit (DISCLOSURE.md 5.3 step D) and the elimination (step C) on their
own: the audit's verdict is the full LP's on any pattern, its proofs only use real
solutions, and elimination leaves no protected cell in the span of what it publishes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.domain.disclosure.acceptance import (
    Structure,
    accept,
    narrowest,
    null_directions,
    twins,
)
from layers.domain.disclosure.audit import Equation, intervals
from layers.domain.disclosure.elimination import Block, eliminate
from layers.domain.disclosure.secondary import Group
from tests.layers.domain.overlay_systems import systems, true_values


def unit_sets(units, groups: list[Group], wards: list[Group]) -> dict[str, frozenset[str]]:
    out = {u: frozenset({u}) for u in units}
    for g in [*groups, *wards]:  # children first
        out[g.key] = frozenset().union(*(out[c] for c in g.children))
    return out


def blocks_of(units, groups, wards, districts) -> list[Block]:
    """Each district with its units and every cell inside it (wards here never cross)."""
    sets = unit_sets(units, groups, wards)
    values = true_values(units, groups, wards)
    out = []
    for district in districts:
        inside = sets[district]
        cells = {k: v for k, v in sets.items() if v <= inside}
        out.append(Block(sorted(inside), cells, values))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems(), st.integers(min_value=2, max_value=12), st.booleans(), st.data())
def test_the_verdict_is_the_full_lps_on_any_pattern(system, threshold, use_blocks, data):
    # Any withheld set, any needs: `accept` fails exactly the cells whose exact LP width
    # (every min and max solved) falls short; every width it reports for a passing cell
    # is one the LP confirms (a proof, never an overestimate).
    units, groups, wards, districts = system
    values = true_values(units, groups, wards)
    equations = [Equation(g.key, g.children) for g in [*groups, *wards]]
    keys = sorted(values)
    hidden = set(data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=10)))
    primary = {k for k in hidden if 0 < values[k] < threshold}
    need = dict.fromkeys(primary, float(threshold))
    structure = Structure(equations, values)
    structure.require(need)
    blocks = blocks_of(units, groups, wards, districts) if use_blocks else []
    found = accept(structure, hidden, blocks)
    exact = intervals(values, hidden, equations)
    short = {k for k, iv in exact.items() if iv.width < need.get(k, 1.0) - 1e-9}
    assert set(found.failing) == short
    for key, width in found.widths.items():
        if key in short:  # at most: the failing cell's maximum
            assert exact[key].width - 1e-9 <= width < need.get(key, 1.0), (key, width)
        else:  # at least: a proof
            assert width <= exact[key].width + 1e-9, (key, width, exact[key])
    if primary:
        exact_narrowest = min(exact[k].width for k in primary)
        assert narrowest(structure, hidden, primary, accepted=False) == pytest.approx(
            exact_narrowest
        )
        if not found.failing:
            assert narrowest(structure, hidden, primary, accepted=True) == pytest.approx(
                exact_narrowest
            )


def test_a_failing_cell_comes_with_helpers_that_widen_it():
    # L1 = 3 and L2 = 4 share MSOA M with L3 = 30, L4 and L5 complement each other in M2,
    # and the wards cross: the only freedom is the cycle L1+ L2- L4+ L5-, so L1 ranges
    # over [0, 7]. The LP's duals name published cells that would widen it.
    units = {"L1": 3.0, "L2": 4.0, "L3": 30.0, "L4": 20.0, "L5": 25.0}
    groups = [
        Group("M", ("L1", "L2", "L3")),
        Group("M2", ("L4", "L5")),
        Group("D", ("M", "M2")),
    ]
    wards = [Group("W", ("L2", "L4")), Group("W2", ("L1", "L3", "L5"))]
    values = true_values(units, groups, wards)
    equations = [Equation(g.key, g.children) for g in [*groups, *wards]]
    structure = Structure(equations, values)
    structure.require({"L1": 10.0, "L2": 10.0})
    hidden = {"L1", "L2", "L4", "L5"}
    found = accept(structure, hidden)
    assert found.failing == ["L1", "L2"]
    assert found.widths["L1"] == 7 == intervals(values, hidden, equations)["L1"].width
    helpers = found.helpers["L1"]
    assert helpers and not set(helpers) & hidden and all(values[h] > 0 for h in helpers)
    widened = [intervals(values, hidden | {h}, equations)["L1"].width for h in helpers]
    assert max(widened) >= 10, dict(zip(helpers, widened, strict=True))


def test_twins_share_a_class_and_nothing_else_does():
    a = np.array([[1.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, -1.0]])
    label = twins(a)
    assert label[0] == label[1]
    assert len({label[0], label[2], label[3]}) == 3


def test_null_directions_are_integer_and_in_the_null_space():
    rng = np.random.default_rng(1)
    a = (rng.random((6, 12)) < 0.3).astype(float)
    x = rng.integers(0, 10, 12).astype(float)
    d = null_directions(a, x)
    assert d.shape[1] == 12 - np.linalg.matrix_rank(a)
    assert np.allclose(a @ d, 0)
    assert np.allclose(d, np.round(d))


def determined(vectors: list[np.ndarray], target: np.ndarray) -> bool:
    if not vectors:
        return False
    base = np.array(vectors)
    return np.linalg.matrix_rank(np.vstack([base, target])) == np.linalg.matrix_rank(base)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems(), st.data())
def test_elimination_leaves_no_protected_cell_in_the_span_of_what_it_publishes(system, data):
    units, groups, wards, districts = system
    values = true_values(units, groups, wards)
    for block in blocks_of(units, groups, wards, districts):
        keys = sorted(block.cells)
        protected = set(data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4)))
        protected = {k for k in protected if values[k] > 0}
        if not protected:
            continue
        withheld = eliminate(block, protected, dict.fromkeys(protected, 5.0))
        assert not withheld & protected
        assert all(values[k] > 0 for k in withheld), "zeros are never complements"
        column = {u: i for i, u in enumerate(block.units)}
        cells = block.cells

        def vector(key: str, column=column, cells=cells) -> np.ndarray:  # type: ignore[no-untyped-def]
            v = np.zeros(len(column))
            v[[column[u] for u in cells[key]]] = 1.0
            return v

        published = [vector(k) for k in keys if k not in protected | withheld]
        for key in protected:
            assert not determined(published, vector(key)), key
        for key in withheld:  # a withheld complement that is known anyway is pointless
            assert not determined(published, vector(key)), key
        assert eliminate(block, protected, dict.fromkeys(protected, 5.0)) == withheld


def test_elimination_honours_the_width_of_its_published_totals():
    # MSOA {L1=3, L2=4, L3=12, L4=30}: publishing L3 would leave L1 + L2 = 7 < 10 known.
    units = {"L1": 3.0, "L2": 4.0, "L3": 12.0, "L4": 30.0}
    cells = {u: frozenset({u}) for u in units} | {"M": frozenset(units)}
    block = Block(sorted(units), cells, {**units, "M": 49.0})
    withheld = eliminate(block, {"L1", "L2"}, {"L1": 10.0, "L2": 10.0})
    assert withheld == {"L3"}


def test_block_proofs_are_used_only_for_blocks_no_equation_crosses():
    # Proofs inside a block keep its own equations and its total; a published ward that
    # takes a unit of another block would be broken by them, so that block gets none.
    values = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "D0": 3.0, "D1": 7.0, "ALL": 10.0}
    nested = [Equation("D0", ("a", "b")), Equation("D1", ("c", "d")), Equation("ALL", ("D0", "D1"))]
    cells = {"a": ("a",), "b": ("b",), "D0": ("a", "b")}
    assert Structure(nested, values).closed(Block(["a", "b"], cells, values))
    crossed = [*nested, Equation("W", ("b", "c"))]
    assert not Structure(crossed, values | {"W": 5.0}).closed(Block(["a", "b"], cells, values))
