"""The marking a document carries, and the spread a spine chart draws (pure)."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers.domain.comparison import spread_of
from layers.domain.marking import DEFAULT_MARKING, document_marking


@pytest.mark.parametrize(
    ("markings", "expected"),
    [
        ([], DEFAULT_MARKING),
        (["OFFICIAL"], "OFFICIAL"),
        (["OFFICIAL", "OFFICIAL-SENSITIVE"], "OFFICIAL-SENSITIVE"),
        (["OFFICIAL-SENSITIVE", "SECRET"], "SECRET"),
        (["official-sensitive personal", "OFFICIAL"], "official-sensitive personal"),
        (["PARTNERS ONLY", "OFFICIAL"], "PARTNERS ONLY / OFFICIAL"),
    ],
)
def test_document_marking_is_the_strictest_and_never_drops_an_unknown_one(markings, expected):
    assert document_marking(markings) == expected


def test_spread_of_nothing_is_none_and_of_one_figure_is_that_figure():
    assert spread_of([]) is None
    one = spread_of([4.0])
    assert (one.low, one.q1, one.median, one.q3, one.high, one.n) == (4, 4, 4, 4, 4, 1)


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=200))
def test_spread_is_ordered_and_made_of_the_figures_given(figures):
    spread = spread_of(figures)
    assert spread.low == min(figures) and spread.high == max(figures)
    assert spread.low <= spread.q1 <= spread.median <= spread.q3 <= spread.high
    assert spread.median == pytest.approx(statistics.median(figures))
    assert spread.n == len(figures)
