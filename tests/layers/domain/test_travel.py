"""Direction of travel, trend over a series and targets (layers.domain.travel), at their
edges and for each polarity."""

from __future__ import annotations

import math

import pytest

from layers.domain.comparison import Polarity
from layers.domain.intervals import Interval, Method
from layers.domain.travel import (
    MIN_SERIES,
    Comparison,
    Direction,
    Point,
    TargetStatus,
    change_from_previous,
    expected_share,
    target_status,
    trend_over_series,
)

LOWER = Polarity.LOWER_IS_BETTER
HIGHER = Polarity.HIGHER_IS_BETTER
NEUTRAL = Polarity.NEUTRAL


def previous(low: float, high: float) -> Point:
    return Point((low + high) / 2, Interval(low, high, Method.BYAR))


@pytest.mark.parametrize(
    ("latest", "polarity", "expected"),
    [
        (80.0, LOWER, Direction.NO_CLEAR_CHANGE),  # on the lower bound: inside
        (120.0, LOWER, Direction.NO_CLEAR_CHANGE),  # on the upper bound: inside
        (79.999, LOWER, Direction.IMPROVING),
        (120.001, LOWER, Direction.WORSENING),
        (79.999, HIGHER, Direction.WORSENING),
        (120.001, HIGHER, Direction.IMPROVING),
        (79.999, NEUTRAL, Direction.LOWER),
        (120.001, NEUTRAL, Direction.HIGHER),
    ],
)
def test_change_from_previous_is_judged_on_the_previous_interval(latest, polarity, expected):
    assert change_from_previous(Point(latest), previous(80, 120), polarity) is expected


def test_change_from_previous_needs_both_figures():
    assert change_from_previous(None, previous(1, 2), LOWER) is Direction.TOO_FEW_PERIODS
    assert change_from_previous(Point(3), None, LOWER) is Direction.TOO_FEW_PERIODS


def test_change_from_previous_without_an_interval_is_not_tested():
    assert change_from_previous(Point(30), Point(10), LOWER) is Direction.NOT_TESTED


def test_trend_needs_enough_shown_figures_and_skips_missing_ones():
    rising = [1.0, 2.0, 3.0, 4.0]
    assert MIN_SERIES == 5
    assert trend_over_series(rising, LOWER).direction is Direction.TOO_FEW_PERIODS
    # A withheld period is left out, not filled in: still four figures.
    assert trend_over_series([*rising[:2], None, *rising[2:]], LOWER).n == 4
    assert trend_over_series([*rising, None], LOWER).direction is Direction.TOO_FEW_PERIODS


def test_trend_of_five_rising_figures_by_hand():
    # S = 10, Var(S) = 5*4*15/18 = 16.667, Z = (10 - 1)/sqrt(16.667) = 2.2045 > 1.96.
    trend = trend_over_series([1.0, 2.0, 3.0, 4.0, 5.0], LOWER)
    assert trend.s == 10
    assert trend.z == pytest.approx(9 / math.sqrt(300 / 18))
    assert trend.direction is Direction.WORSENING
    assert trend_over_series([1.0, 2.0, 3.0, 4.0, 5.0], HIGHER).direction is Direction.IMPROVING
    assert trend_over_series([5.0, 4.0, 3.0, 2.0, 1.0], LOWER).direction is Direction.IMPROVING
    assert trend_over_series([1.0, 2.0, 3.0, 4.0, 5.0], NEUTRAL).direction is Direction.HIGHER


def test_trend_with_ties_uses_the_tie_corrected_variance():
    # S = 9; one tie group of 2: Var(S) = (300 - 2*1*9)/18 = 15.667; Z = 8/3.958 = 2.021.
    trend = trend_over_series([1.0, 1.0, 2.0, 3.0, 4.0], LOWER)
    assert trend.s == 9
    assert trend.z == pytest.approx(8 / math.sqrt(282 / 18))
    assert trend.direction is Direction.WORSENING


def test_trend_just_short_of_significance_is_no_clear_change():
    # One swap in five: S = 8, Z = 7/4.082 = 1.71 < 1.96.
    trend = trend_over_series([1.0, 3.0, 2.0, 4.0, 5.0], LOWER)
    assert trend.s == 8
    assert trend.direction is Direction.NO_CLEAR_CHANGE


def test_flat_series_is_no_clear_change():
    assert trend_over_series([7.0] * 6, LOWER).direction is Direction.NO_CLEAR_CHANGE


@pytest.mark.parametrize(
    ("value", "comparison", "expected"),
    [
        (100.0, Comparison.AT_MOST, TargetStatus.MET),
        (100.5, Comparison.AT_MOST, TargetStatus.NOT_MET),
        (100.0, Comparison.AT_LEAST, TargetStatus.MET),
        (99.5, Comparison.AT_LEAST, TargetStatus.NOT_MET),
    ],
)
def test_target_bound_itself_meets_the_target(value, comparison, expected):
    assert target_status(value, 100.0, comparison) is expected


def test_withheld_figure_has_no_target_verdict_and_no_target_says_so():
    assert target_status(None, 100.0, Comparison.AT_MOST) is TargetStatus.NOT_KNOWN
    assert target_status(50.0, None, Comparison.AT_MOST) is TargetStatus.NO_TARGET


def test_expected_share_of_a_total():
    assert expected_share(1000.0, 25, 100) == 250.0
    assert expected_share(1000.0, 3, 0) is None
