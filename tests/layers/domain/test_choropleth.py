from __future__ import annotations

import numpy as np
import pytest

from layers.domain.choropleth import (
    JENKS_SAMPLE,
    ChangeKind,
    Method,
    change_between,
    classify,
    standings,
)
from layers.domain.comparison import rank_among


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("k", [3, 5, 9])
def test_classify_puts_every_shown_value_in_a_band_that_contains_it(method, k):
    values = [float(v) for v in np.random.default_rng(k).poisson(40, 300)]
    values[7] = None
    values[8] = None
    classes = classify(values, method=method, k=k)
    assert len(classes.bands) == k
    assert classes.of_value[7] is None and classes.of_value[8] is None
    assert sum(b.count for b in classes.bands) == 298
    for value, cls in zip(values, classes.of_value, strict=True):
        if value is not None:
            band = classes.bands[cls]
            assert band.lower <= value <= band.upper
    uppers = [b.upper for b in classes.bands]
    assert uppers == sorted(uppers) and uppers[-1] == max(v for v in values if v is not None)


def test_classify_quantiles_gives_classes_of_about_equal_size():
    classes = classify([float(v) for v in range(100)], method=Method.QUANTILES, k=4)
    assert [b.count for b in classes.bands] == [25, 25, 25, 25]
    assert (classes.bands[0].lower, classes.bands[0].upper) == (0.0, 24.0)


def test_classify_equal_interval_cuts_the_range_evenly():
    classes = classify([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 90], method=Method.EQUAL_INTERVAL, k=3)
    assert [b.count for b in classes.bands] == [10, 0, 1]


def test_classify_jenks_separates_natural_groups():
    values = [1.0, 2, 3, 2, 1, 50, 51, 52, 100, 101, 99]
    classes = classify(values, method=Method.JENKS, k=3)
    assert [(b.lower, b.upper) for b in classes.bands] == [(1, 3), (50, 52), (99, 101)]


def test_classify_jenks_on_many_values_is_deterministic_and_covers_all():
    values = [float(v) for v in np.random.default_rng(1).gamma(2, 10, JENKS_SAMPLE * 5)]
    first = classify(values, method=Method.JENKS, k=7)
    assert first == classify(values, method=Method.JENKS, k=7)
    assert sum(b.count for b in first.bands) == len(values)
    assert first.bands[0].lower == min(values) and first.bands[-1].upper == max(values)


def test_classify_gives_fewer_classes_when_there_are_fewer_distinct_values():
    classes = classify([1.0, 1, 2, 2, None], method=Method.QUANTILES, k=5)
    assert [(b.lower, b.upper, b.count) for b in classes.bands] == [(1, 1, 2), (2, 2, 2)]


def test_classify_with_nothing_shown_has_no_bands():
    assert classify([None, None], method=Method.JENKS, k=5).bands == ()


@pytest.mark.parametrize("k", [2, 10])
def test_classify_refuses_a_number_of_classes_outside_3_to_9(k):
    with pytest.raises(ValueError, match="k must be from 3 to 9"):
        classify([1.0, 2.0], method=Method.QUANTILES, k=k)


def test_classify_diverging_keeps_no_change_in_the_middle_and_mirrors_sizes():
    values = [-40.0, -10, -2, 0, 0, 3, 9, 41, None]
    classes = classify(values, method=Method.QUANTILES, k=5, diverging=True)
    assert classes.kind == "diverging" and len(classes.bands) == 5
    assert classes.of_value[3] == classes.of_value[4] == 2
    assert classes.bands[2] == type(classes.bands[2])(0.0, 0.0, 2)
    assert all(c < 2 for v, c in zip(values, classes.of_value, strict=True) if v and v < 0)
    assert all(c > 2 for v, c in zip(values, classes.of_value, strict=True) if v and v > 0)
    assert classes.of_value[0] == 0 and classes.of_value[7] == 4
    assert classes.of_value[-1] is None


def test_classify_diverging_needs_an_odd_number_of_classes():
    with pytest.raises(ValueError, match="odd"):
        classify([1.0, -1.0], method=Method.QUANTILES, k=4, diverging=True)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (("shown", 10.0), ("withheld", None), ("withheld", None, "[c]")),
        (("withheld", None), ("shown", 12.0), ("withheld", None, "[c]")),
        (("no_data", None), ("shown", 12.0), ("no_data", None, "[x]")),
        (("shown", 10.0), ("shown", 12.0), ("shown", 2.0, None)),
    ],
)
def test_change_between_never_uses_a_withheld_figure(before, after, expected):
    change = change_between(before[1], before[0], after[1], after[0], kind=ChangeKind.ABSOLUTE)
    assert (change.status, change.value, change.marker) == expected


def test_change_between_in_percent_and_from_zero():
    assert change_between(8.0, "shown", 10.0, "shown", kind=ChangeKind.PERCENT).value == 25.0
    assert change_between(10.0, "shown", 5.0, "shown", kind=ChangeKind.PERCENT).value == -50.0
    zero = change_between(0.0, "shown", 5.0, "shown", kind=ChangeKind.PERCENT)
    assert (zero.status, zero.value, zero.marker) == ("no_data", None, "[z]")


def test_standings_rank_highest_first_with_ties_and_skip_withheld():
    values = [5.0, None, 9.0, 9.0, 1.0]
    found = standings(values)
    assert [s.rank if s else None for s in found] == [3, None, 1, 1, 4]
    assert found[0].of == 4 and found[1] is None


def test_standings_rank_lowest_first_when_asked():
    found = standings([5.0, None, 9.0, 9.0, 1.0], lowest_first=True)
    assert [s.rank if s else None for s in found] == [2, None, 3, 3, 1]


@pytest.mark.parametrize("lowest_first", [False, True])
def test_standings_agree_with_the_profiles_rank_among(lowest_first):
    values = [float(v) for v in np.random.default_rng(3).poisson(6, 137)] + [None, None]
    shown = [v for v in values if v is not None]
    found = standings(values, lowest_first=lowest_first)
    for value, standing in zip(values, found, strict=True):
        if value is None:
            assert standing is None
        else:
            expected = rank_among(value, shown, lowest_first=lowest_first)
            assert (standing.rank, standing.decile, standing.of) == (
                expected.rank,
                expected.decile,
                expected.of,
            )


def test_standings_deciles_run_from_1_to_10():
    found = standings([float(v) for v in range(100)])
    assert found[99].rank == 1 and found[99].decile == 1
    assert found[0].rank == 100 and found[0].decile == 10
    assert sorted({s.decile for s in found}) == list(range(1, 11))
