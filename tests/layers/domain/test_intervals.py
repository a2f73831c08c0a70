"""Confidence intervals against independent references: scipy's chi-squared and beta
quantiles for the exact Poisson interval, and published worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chi2, norm

from layers.domain.intervals import (
    Method,
    byar_interval,
    exact_poisson_interval,
    percentage_interval,
    rate_interval,
    wilson_interval,
)


@pytest.mark.parametrize("observed", [0, 1, 2, 5, 9, 10, 37, 150])
def test_exact_poisson_interval_matches_the_chi_squared_form(observed):
    low, high = exact_poisson_interval(observed)
    expected_low = chi2.ppf(0.025, 2 * observed) / 2 if observed else 0.0
    assert low == pytest.approx(expected_low, rel=1e-7, abs=1e-9)
    assert high == pytest.approx(chi2.ppf(0.975, 2 * observed + 2) / 2, rel=1e-7)


def test_byar_interval_is_close_to_exact_for_moderate_counts():
    for observed in (10, 25, 100, 1000):
        exact = exact_poisson_interval(observed)
        approx = byar_interval(observed)
        assert approx[0] == pytest.approx(exact[0], rel=0.01)
        assert approx[1] == pytest.approx(exact[1], rel=0.01)


def test_wilson_interval_matches_newcombes_worked_example():
    # Newcombe (1998), Table I: 81 of 263 -> 0.2553 to 0.3662 (method 3, Wilson score).
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_wilson_interval_at_zero_and_all_stays_in_range():
    low, high = wilson_interval(0, 20)
    assert low == 0 and 0 < high < 0.2
    low, high = wilson_interval(20, 20)
    assert 0.8 < low < 1 and high == 1


@given(
    st.integers(min_value=1, max_value=5000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_wilson_interval_contains_the_estimate(pair):
    successes, trials = pair
    low, high = wilson_interval(successes, trials)
    assert 0 <= low <= successes / trials <= high <= 1


def test_wilson_interval_narrows_as_the_sample_grows():
    small = wilson_interval(30, 100)
    large = wilson_interval(300, 1000)
    assert large[1] - large[0] < small[1] - small[0]


def test_rate_interval_uses_exact_below_ten_and_byar_from_ten():
    assert rate_interval(9, 1000, per=1000).method is Method.EXACT_POISSON
    tens = rate_interval(10, 1000, per=1000)
    assert tens.method is Method.BYAR
    low, high = byar_interval(10)
    assert (tens.low, tens.high) == pytest.approx((low, high))


def test_percentage_interval_is_wilson_in_per_cent():
    interval = percentage_interval(81, 263)
    assert interval.method is Method.WILSON
    assert interval.low == pytest.approx(25.53, abs=0.01)


def test_z_value_is_the_normal_quantile():
    from layers.domain.intervals import Z_95

    assert pytest.approx(norm.ppf(0.975), abs=1e-12) == Z_95


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: wilson_interval(1, 0), "positive number of trials"),
        (lambda: wilson_interval(5, 4), "from 0 to the number"),
        (lambda: byar_interval(-1), "cannot be negative"),
        (lambda: rate_interval(1, 0, per=1000), "positive denominator"),
    ],
)
def test_intervals_refuse_impossible_inputs(call, words):
    with pytest.raises(ValueError, match=words):
        call()
