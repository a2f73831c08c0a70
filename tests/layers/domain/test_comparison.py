"""Rank, decile, medians and significance over shown figures."""

from __future__ import annotations

import pytest

from layers.domain.comparison import (
    Polarity,
    Ranking,
    Significance,
    compare,
    median_of,
    per_area_mean,
    rank_among,
    rank_order,
)
from layers.domain.intervals import Interval, Method


def test_rank_is_highest_first_with_ties_sharing_the_best_rank():
    shown = [50.0, 40.0, 40.0, 30.0]
    assert rank_among(50.0, shown) == Ranking(rank=1, of=4, decile=3)
    assert rank_among(40.0, shown).rank == 2
    assert rank_among(30.0, shown).rank == 4


def test_decile_is_the_tenth_of_areas_by_rank():
    shown = [float(v) for v in range(100)]
    assert rank_among(99.0, shown).decile == 1
    assert rank_among(90.0, shown).decile == 1
    assert rank_among(89.0, shown).decile == 2
    assert rank_among(0.0, shown).decile == 10


def test_rank_lowest_first_when_asked_with_ties_sharing_the_best_rank():
    shown = [50.0, 40.0, 40.0, 30.0]
    assert rank_among(30.0, shown, lowest_first=True) == Ranking(rank=1, of=4, decile=3)
    assert rank_among(40.0, shown, lowest_first=True).rank == 2
    assert rank_among(50.0, shown, lowest_first=True).rank == 4


def test_the_worse_end_ranks_first_by_polarity():
    # Higher is better (an IMD rank: 1 = most deprived): the lowest figure ranks first,
    # so rank and decile 1 keep meaning "most deprived". Otherwise the highest.
    assert rank_order(Polarity.HIGHER_IS_BETTER) == "lowest_first"
    assert rank_order(Polarity.LOWER_IS_BETTER) == "highest_first"
    assert rank_order(Polarity.NEUTRAL) == "highest_first"


def test_rank_refuses_a_figure_that_is_not_among_the_shown():
    with pytest.raises(ValueError, match="one of the shown figures"):
        rank_among(7.0, [10.0, 20.0])


def test_median_and_mean_of_shown_figures():
    assert median_of([3.0, 1.0, 2.0]) == 2.0
    assert median_of([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert median_of([]) is None
    assert per_area_mean(300.0, 4) == 75.0
    assert per_area_mean(300.0, 0) is None


def interval(low: float, high: float) -> Interval:
    return Interval(low, high, Method.WILSON)


@pytest.mark.parametrize(
    ("low", "high", "benchmark", "polarity", "expected"),
    [
        (10, 20, 15, Polarity.HIGHER_IS_BETTER, Significance.SIMILAR),
        (10, 20, 20, Polarity.HIGHER_IS_BETTER, Significance.SIMILAR),
        (10, 20, 5, Polarity.HIGHER_IS_BETTER, Significance.BETTER),
        (10, 20, 5, Polarity.LOWER_IS_BETTER, Significance.WORSE),
        (10, 20, 25, Polarity.HIGHER_IS_BETTER, Significance.WORSE),
        (10, 20, 25, Polarity.LOWER_IS_BETTER, Significance.BETTER),
        (10, 20, 5, Polarity.NEUTRAL, Significance.HIGHER),
        (10, 20, 25, Polarity.NEUTRAL, Significance.LOWER),
    ],
)
def test_compare_by_interval_and_polarity(low, high, benchmark, polarity, expected):
    assert compare(interval(low, high), benchmark, polarity) is expected


def test_compare_needs_an_interval_and_a_benchmark():
    assert compare(None, 5.0, Polarity.LOWER_IS_BETTER) is Significance.NOT_COMPARED
    assert compare(interval(1, 2), None, Polarity.LOWER_IS_BETTER) is Significance.NOT_COMPARED
