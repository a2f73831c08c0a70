"""Primary rules at their edges (T-1, T, T+1, zero, rate edges, rounding halves)."""

from __future__ import annotations

import pytest

from layers.domain.disclosure.cells import Cell, Protection, Released, Status
from layers.domain.disclosure.policy import DisclosurePolicy, ZeroPolicy
from layers.domain.disclosure.primary import count_protection, rate_protection, round_half_away

T10 = DisclosurePolicy(min_count=10, round_to=5, min_denominator=100)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, None),
        (1, Protection.SMALL_COUNT),
        (9, Protection.SMALL_COUNT),  # T-1
        (10, None),  # T
        (11, None),  # T+1
        (9.5, Protection.SMALL_COUNT),
    ],
)
def test_count_threshold_edges(value, expected):
    assert count_protection(value, T10) is expected


def test_zero_policy_suppress_withholds_zeros():
    policy = DisclosurePolicy(min_count=10, zero_policy=ZeroPolicy.SUPPRESS)
    assert count_protection(0, policy) is Protection.ZERO
    assert count_protection(12, policy) is None


def test_threshold_of_zero_withholds_nothing():
    assert count_protection(1, DisclosurePolicy(min_count=0)) is None


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (50, 99, Protection.RATE_DENOMINATOR),  # D_min - 1
        (50, 100, None),  # D_min
        (9, 200, Protection.RATE_NUMERATOR),  # numerator T-1
        (10, 200, None),  # numerator T
        (0, 200, None),  # a zero numerator is published
        (195, 200, Protection.RATE_COMPLEMENT),  # 5 of 200 did not: small complement
        (190, 200, None),  # complement T
        (200, 200, None),  # complement zero: published unless class disclosure is on
    ],
)
def test_rate_edges(numerator, denominator, expected):
    assert rate_protection(Cell("E01", 0.5, numerator, denominator), T10) is expected


def test_rate_class_disclosure_when_policy_asks():
    policy = DisclosurePolicy(
        min_count=10, min_denominator=100, zero_policy=ZeroPolicy.SUPPRESS_IF_CLASS_DISCLOSURE
    )
    assert rate_protection(Cell("E01", 0.0, 0, 150), policy) is Protection.ZERO_CLASS
    assert rate_protection(Cell("E01", 1.0, 150, 150), policy) is Protection.ZERO_CLASS
    assert rate_protection(Cell("E01", 0.5, 75, 150), policy) is None


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        (12, 5, 10),
        (12.5, 5, 15),
        (13, 5, 15),
        (17.5, 5, 20),
        (2.5, 5, 5),
        (22.5, 5, 25),
        (7, 0, 7),
        (0, 5, 0),
        (-12.5, 5, -15),
        (15, 10, 20),
        (25, 10, 30),
        (24.9, 10, 20),
    ],
)
def test_round_half_away_from_zero(value, base, expected):
    assert round_half_away(value, base) == expected


def test_released_cells_never_carry_the_value_when_withheld():
    cell = Released.withheld("E01", Protection.SECONDARY)
    assert (cell.value, cell.status, cell.marker, cell.reason.value) == (
        None,
        Status.WITHHELD,
        "[c]",
        "confidential",
    )
    assert Released.no_data("E02").marker == "[x]"
