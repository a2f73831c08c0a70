"""The scanning statistics on constructed cases with answers worked out independently:
the exact Poisson test and the Benjamini-Hochberg FDR, Getis-Ord Gi* on a 3x3 lattice
computed by hand from its formula, and the control-chart rule at its edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from layers.domain.scanning import (
    Judgement,
    Kind,
    areas_of_concern,
    benjamini_hochberg,
    control_chart,
    hot_spots,
    poisson_excess,
    poisson_p_upper,
)

# --- the exact Poisson test and the FDR -------------------------------------------------


def test_benjamini_hochberg_steps_up_from_the_largest_p_value():
    # Sorted: 0.005 (rank 1), 0.01 (2), 0.03 (3), 0.04 (4), 0.5 (5); m = 5.
    # p * m / rank: 0.025, 0.025, 0.05, 0.05, 0.5; running minimum from the top: the same.
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005, 0.5])
    assert q == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.5])


def test_benjamini_hochberg_takes_the_minimum_over_larger_ranks():
    # m = 2: p(1) * 2 / 1 = 0.04, but p(2) * 2 / 2 = 0.021 is smaller, so q(1) = 0.021.
    assert benjamini_hochberg([0.02, 0.021]) == pytest.approx([0.021, 0.021])
    assert benjamini_hochberg([0.9, 0.8]) == pytest.approx([0.9, 0.9])
    assert benjamini_hochberg([]) == []


def test_poisson_p_value_is_the_upper_tail_including_the_observed_count():
    assert poisson_p_upper(5, 2.0) == pytest.approx(
        1 - sum(math.exp(-2.0) * 2.0**k / math.factorial(k) for k in range(5))
    )
    assert poisson_p_upper(0, 3.0) == 1.0
    assert poisson_p_upper(0, 0.0) == 1.0
    assert poisson_p_upper(1, 0.0) == 0.0


def test_poisson_excess_on_a_constructed_partnership():
    counts = {"A": 60, "B": 20, "C": 15, "D": 25, "E": 30}
    population = {"A": 2000.0, "B": 2000.0, "C": 1000.0, "D": 3000.0, "E": 2000.0}
    # The partnership rate: 150 / 10,000 = 0.015 per person.
    expected = {"A": 30.0, "B": 30.0, "C": 15.0, "D": 45.0, "E": 30.0}
    p = {c: float(stats.poisson.sf(counts[c] - 1, expected[c])) for c in counts}
    # A is far above (60 v 30); E is exactly as expected; the others are below.
    assert p["A"] < 1e-5 and p["E"] > 0.4
    # BH by hand: A has the smallest p (rank 1 of 5), so q(A) = min over ranks >= 1 of
    # p(rank) * 5 / rank; the next smallest is E's, ranked 2.
    ordered = sorted(p, key=p.__getitem__)
    assert ordered[:2] == ["A", "E"]
    q_by_rank = [p[c] * 5 / (r + 1) for r, c in enumerate(ordered)]
    q_a = min(q_by_rank)  # rank 1: the minimum over every rank
    result = poisson_excess(counts, population)
    assert set(result) == set(counts)
    for code in counts:
        assert result[code].expected == pytest.approx(expected[code])
        assert result[code].p == pytest.approx(p[code])
        assert result[code].ratio == pytest.approx(counts[code] / expected[code])
    assert result["A"].q == pytest.approx(q_a)
    assert result["A"].q == pytest.approx(p["A"] * 5)
    assert [c for c, r in result.items() if r.flagged] == ["A"]


def test_the_fdr_family_is_only_the_areas_with_both_figures():
    # "W" has no denominator (e.g. withheld): it is not tested, and is not in the rate.
    counts = {"A": 40, "B": 10, "W": 1000}
    population = {"A": 1000.0, "B": 1000.0}
    result = poisson_excess(counts, population)
    assert set(result) == {"A", "B"}
    assert result["A"].expected == pytest.approx(25.0)  # 50 / 2000 x 1000
    p_a = float(stats.poisson.sf(39, 25.0))
    p_b = float(stats.poisson.sf(9, 25.0))
    assert result["A"].q == pytest.approx(min(1.0, p_a * 2 / 1))
    assert result["B"].q == pytest.approx(min(1.0, p_b * 2 / 2))
    assert poisson_excess({"A": 1}, {}) == {}


def test_a_q_value_equal_to_the_level_is_flagged_and_above_it_is_not():
    counts = {"A": 60, "B": 30}
    population = {"A": 1000.0, "B": 1000.0}
    q = poisson_excess(counts, population)["A"].q
    assert poisson_excess(counts, population, q_level=q)["A"].flagged
    assert not poisson_excess(counts, population, q_level=q * 0.999)["A"].flagged


# --- Getis-Ord Gi* on a 3x3 lattice -------------------------------------------------------


def _grid(queen: bool) -> dict[str, list[str]]:
    """Cells r0c0 .. r2c2 of a 3x3 grid; rook: shared edges; queen: edges or corners."""
    out: dict[str, list[str]] = {}
    for r in range(3):
        for c in range(3):
            out[f"r{r}c{c}"] = [
                f"r{r + dr}c{c + dc}"
                for dr in (-1, 0, 1)
                for dc in (-1, 0, 1)
                if (dr, dc) != (0, 0)
                and 0 <= r + dr < 3
                and 0 <= c + dc < 3
                and (queen or dr == 0 or dc == 0)
            ]
    return out


def _gi_star_by_hand(
    values: dict[str, float], neighbours: dict[str, list[str]]
) -> dict[str, float]:
    """Ord and Getis (1995) Gi* with binary weights, the area in its own neighbourhood:
    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1))),
    W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (= W_i for binary weights),
    xbar = mean, S = sqrt(sum x^2 / n - xbar^2)."""
    codes = sorted(values)
    x = np.array([values[c] for c in codes])
    n = len(x)
    xbar = x.sum() / n
    s = math.sqrt((x**2).sum() / n - xbar**2)
    out = {}
    for code in codes:
        w = np.array([1.0 if (c == code or c in neighbours[code]) else 0.0 for c in codes])
        w_sum = w.sum()
        s1 = (w**2).sum()
        spread = n * s1 - w_sum**2
        if spread == 0:  # a neighbourhood of every area: z is undefined
            continue
        out[code] = float(((w * x).sum() - xbar * w_sum) / (s * math.sqrt(spread / (n - 1))))
    return out


VALUES = {
    "r0c0": 10.0, "r0c1": 8.0, "r0c2": 2.0,
    "r1c0": 9.0, "r1c1": 6.0, "r1c2": 1.0,
    "r2c0": 3.0, "r2c1": 2.0, "r2c2": 1.0,
}  # fmt: skip


@pytest.mark.parametrize("queen", [True, False])
def test_gi_star_matches_the_formula_worked_by_hand(queen):
    neighbours = _grid(queen)
    expected = _gi_star_by_hand(VALUES, neighbours)
    result = hot_spots(VALUES, neighbours)
    # With queen contiguity the centre cell touches every other: no score for it.
    assert set(result) == set(expected) == set(VALUES) - ({"r1c1"} if queen else set())
    for code, z in expected.items():
        assert result[code].z == pytest.approx(z), code
        assert result[code].p == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_gi_star_by_hand_for_the_corner_of_the_queen_grid():
    # r0c0 with queen neighbours r0c1, r1c0, r1c1: sum 10+8+9+6 = 33, W = 4, n = 9,
    # xbar = 42/9, sum x^2 = 100+64+4+81+36+1+9+4+1 = 300, S = sqrt(300/9 - (42/9)^2).
    xbar = 42 / 9
    s = math.sqrt(300 / 9 - xbar**2)
    z = (33 - xbar * 4) / (s * math.sqrt((9 * 4 - 16) / 8))
    assert z == pytest.approx(2.6667, abs=1e-4)  # 14.333 / (3.3993 * 1.5811)
    result = hot_spots(VALUES, _grid(True))
    assert result["r0c0"].z == pytest.approx(z)
    assert result["r0c0"].flagged  # z > 1.96
    assert result["r0c0"].n_neighbours == 3
    assert not result["r2c2"].flagged  # a cold spot is not a concern


def test_areas_without_a_value_are_dropped_from_the_lattice():
    neighbours = _grid(True)
    visible = {c: v for c, v in VALUES.items() if c != "r1c1"}
    # By hand, on the lattice without r1c1: it is neither a value nor a neighbour.
    without = {c: [m for m in ns if m != "r1c1"] for c, ns in neighbours.items() if c != "r1c1"}
    expected = _gi_star_by_hand(visible, without)
    result = hot_spots(visible, neighbours)
    assert "r1c1" not in result
    for code, z in expected.items():
        assert result[code].z == pytest.approx(z), code
    assert result["r0c0"].n_neighbours == 2


def test_an_area_with_no_neighbour_is_scored_but_never_a_hot_spot():
    values = {**VALUES, "island": 40.0}
    result = hot_spots(values, _grid(True))
    expected = _gi_star_by_hand(values, {**_grid(True), "island": []})
    assert result["island"].z == pytest.approx(expected["island"])
    assert result["island"].z > 1.96 and result["island"].n_neighbours == 0
    assert not result["island"].flagged


def test_gi_star_needs_three_areas_and_some_variation():
    assert hot_spots({"a": 1.0, "b": 2.0}, {"a": ["b"], "b": ["a"]}) == {}
    assert hot_spots(dict.fromkeys(VALUES, 4.0), _grid(True)) == {}


# --- control charts at their edges --------------------------------------------------------


def test_c_chart_a_count_equal_to_the_upper_limit_is_not_a_breach():
    # Centre 4, upper limit 4 + 3 * sqrt(4) = 10.
    at = control_chart([4, 4, 4, 4, 4, 4, 10])
    assert (at.chart, at.centre, at.upper, at.lower) == ("c", 4.0, 10.0, 0.0)
    assert at.judgement is Judgement.IN_CONTROL and not at.breach
    above = control_chart([4, 4, 4, 4, 4, 4, 11])
    assert above.judgement is Judgement.BREACH and above.breach


def test_c_chart_lower_limit_and_an_uneven_history():
    chart = control_chart([10, 20, 15, 25, 5, 15, 27])
    assert chart.centre == pytest.approx(15.0)
    assert chart.upper == pytest.approx(15 + 3 * math.sqrt(15))  # 26.62
    assert chart.lower == pytest.approx(15 - 3 * math.sqrt(15))
    assert chart.breach


def test_c_chart_needs_six_earlier_periods():
    five = control_chart([4, 4, 4, 4, 4, 40])
    assert five.judgement is Judgement.TOO_FEW_PERIODS and five.n_earlier == 5
    assert not five.breach
    assert control_chart([]).judgement is Judgement.TOO_FEW_PERIODS
    assert control_chart([4, 4, 4, 4, 4, 4, 40]).breach  # six: judged
    assert control_chart([4, 4, 4, 40], min_earlier=3).breach


def test_c_chart_with_a_zero_mean_gives_no_judgement():
    chart = control_chart([0, 0, 0, 0, 0, 0, 3])
    assert chart.judgement is Judgement.ZERO_MEAN and not chart.breach


def test_u_chart_uses_the_latest_denominator_and_the_same_edge():
    # Earlier: 2 per 100 each time, u = 0.02; latest n = 200: sigma = sqrt(0.02 / 200)
    # = 0.01, upper limit 0.05; 10 / 200 = 0.05 is at the limit, 11 / 200 above it.
    exposures = [100.0] * 6 + [200.0]
    at = control_chart([2, 2, 2, 2, 2, 2, 10], exposures=exposures)
    assert at.chart == "u"
    assert at.upper == pytest.approx(0.05)
    assert at.judgement is Judgement.IN_CONTROL
    above = control_chart([2, 2, 2, 2, 2, 2, 11], exposures=exposures)
    assert above.breach
    # The same count over a larger population is not a breach.
    assert not control_chart([2, 2, 2, 2, 2, 2, 11], exposures=[100.0] * 6 + [300.0]).breach


def test_u_chart_edges():
    assert control_chart([0] * 7, exposures=[100.0] * 7).judgement is Judgement.ZERO_MEAN
    assert control_chart([1] * 7, exposures=[100.0] * 6 + [0.0]).judgement is Judgement.NO_EXPOSURE
    with pytest.raises(ValueError, match="one denominator per count"):
        control_chart([1, 2], exposures=[1.0])


# --- the list of concerns -----------------------------------------------------------------


def test_concerns_carry_a_reason_per_flag_and_sort_by_strength():
    excess = poisson_excess({"A": 60, "B": 30, "C": 30}, {"A": 1000.0, "B": 1000.0, "C": 1000.0})
    hot = hot_spots(VALUES, _grid(True))
    control = {
        "r0c0": control_chart([4, 4, 4, 4, 4, 4, 20]),
        "B": control_chart([4, 4, 4, 4, 4, 4, 10]),
    }
    concerns = areas_of_concern(
        names={"A": "Alpha", "r0c0": "Corner"},
        excess=excess,
        hot=hot,
        control=control,
        noun="crimes",
    )
    codes = [c.code for c in concerns]
    assert codes[0] == "r0c0"  # two kinds of evidence
    assert [f.test for f in concerns[0].flags] == [Kind.HOT_SPOT, Kind.CONTROL]
    assert "A" in codes and "B" not in codes and "C" not in codes
    alpha = next(c for c in concerns if c.code == "A")
    assert alpha.name == "Alpha"
    (flag,) = alpha.flags
    assert flag.reason.startswith("60 crimes against 40.0 expected at the partnership rate (1.5×)")
    assert "q " in flag.reason
    assert "Gi* z = 2.67" in concerns[0].flags[0].reason
    assert "20 crimes against an upper limit of 10.0" in concerns[0].flags[1].reason


def test_a_u_chart_reason_reads_in_counts_at_the_latest_denominator():
    chart = control_chart([2, 2, 2, 2, 2, 2, 11], exposures=[100.0] * 6 + [200.0])
    assert chart.exposure == 200.0
    (concern,) = areas_of_concern(names={}, excess={}, hot={}, control={"A": chart}, noun="crimes")
    assert concern.flags[0].reason == (
        "above its own control limit: 11 crimes against an upper limit of 10.0 "
        "(at its rate over 6 earlier periods, 4.0 expected)"
    )
