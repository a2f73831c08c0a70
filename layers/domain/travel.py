"""Direction of travel and progress against a target, for the partnership's priorities
(performance review, Home Office "GIS-based information sharing for CDRPs") (pure).

Every function takes released (shown) figures only: the caller passes None for a
withheld figure or one with no data, and None is never an input to a direction, a change
or a target verdict. So nothing computed here can reveal a withheld figure
(DISCLOSURE.md 4.1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from layers.domain.comparison import Polarity
from layers.domain.intervals import Interval

# Two-sided 5% for the Mann-Kendall statistic's normal approximation.
Z_95 = 1.959963984540054
# Below five figures no series can reach the two-sided 5% level: at n = 4 a perfectly
# ordered series has S = 6, Var(S) = 8.67 and Z = 1.70 (continuity-corrected).
MIN_SERIES = 5


class Direction(StrEnum):
    """Which way a figure moved, judged by the indicator's polarity. `higher`/`lower`
    are for indicators with no polarity; `not_tested` where no interval was given."""

    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CLEAR_CHANGE = "no_clear_change"
    HIGHER = "higher"
    LOWER = "lower"
    NOT_TESTED = "not_tested"
    TOO_FEW_PERIODS = "too_few_periods"


@dataclass(frozen=True, slots=True)
class Point:
    """One period's shown figure and, where known, its 95% interval."""

    value: float
    interval: Interval | None = None


def _judged(up: bool, polarity: Polarity) -> Direction:
    if polarity is Polarity.NEUTRAL:
        return Direction.HIGHER if up else Direction.LOWER
    good = up == (polarity is Polarity.HIGHER_IS_BETTER)
    return Direction.IMPROVING if good else Direction.WORSENING


def change_from_previous(
    latest: Point | None, previous: Point | None, polarity: Polarity
) -> Direction:
    """The latest period against the one before, judged on the earlier period's 95%
    interval: a latest figure outside it moved (better or worse by polarity), one inside
    it (bounds included) shows no clear change. This is the PHE Fingertips rule for a
    figure against a benchmark (comparison.compare), with the previous period as the
    benchmark. Either figure missing (withheld, no data): too few periods. No interval
    (scores, ranks): not tested, whatever the sign.
    """
    if latest is None or previous is None:
        return Direction.TOO_FEW_PERIODS
    if previous.interval is None:
        return Direction.NOT_TESTED
    if previous.interval.low <= latest.value <= previous.interval.high:
        return Direction.NO_CLEAR_CHANGE
    return _judged(latest.value > previous.interval.high, polarity)


@dataclass(frozen=True, slots=True)
class SeriesTrend:
    """Mann-Kendall over the shown figures of a series: the statistic S, its normal
    score Z (continuity-corrected) and the verdict."""

    direction: Direction
    n: int
    s: int = 0
    z: float = 0.0


def trend_over_series(values: Sequence[float | None], polarity: Polarity) -> SeriesTrend:
    """A monotonic trend over the periods, by the Mann-Kendall test (H. B. Mann,
    "Nonparametric tests against trend", Econometrica 13 (1945) 245-259; variance with
    the tie correction of Kendall 1975): S = sum over pairs i < j of sign(x_j - x_i),
    Var(S) = [n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)] / 18,
    Z = (S - sign(S)) / sqrt(Var S); |Z| > 1.96 is a trend at the two-sided 5% level,
    improving or worsening by polarity, else no clear change.

    Missing figures (None: withheld or no data) are left out, never filled in; fewer
    than MIN_SERIES shown figures: too few periods.
    """
    shown = [float(v) for v in values if v is not None]
    n = len(shown)
    if n < MIN_SERIES:
        return SeriesTrend(Direction.TOO_FEW_PERIODS, n)
    s = 0
    for i in range(n - 1):
        for j in range(i + 1, n):
            s += (shown[j] > shown[i]) - (shown[j] < shown[i])
    ties: dict[float, int] = {}
    for v in shown:
        ties[v] = ties.get(v, 0) + 1
    variance = (
        n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())
    ) / 18
    if variance <= 0 or s == 0:
        return SeriesTrend(Direction.NO_CLEAR_CHANGE, n, s, 0.0)
    z = (s - math.copysign(1, s)) / math.sqrt(variance)
    if abs(z) <= Z_95:
        return SeriesTrend(Direction.NO_CLEAR_CHANGE, n, s, z)
    return SeriesTrend(_judged(z > 0, polarity), n, s, z)


class Comparison(StrEnum):
    """How a target is met: the figure at most, or at least, the target value."""

    AT_MOST = "at_most"
    AT_LEAST = "at_least"


class TargetStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_KNOWN = "not_known"  # the figure is withheld or missing: no verdict
    NO_TARGET = "no_target"


def target_status(
    value: float | None, target: float | None, comparison: Comparison
) -> TargetStatus:
    """Is the figure within its target? `at_most`: value <= target; `at_least`:
    value >= target (the bound itself meets it). No target: no_target. A withheld or
    missing figure (None) has no verdict, so a verdict never hints at a withheld value."""
    if target is None:
        return TargetStatus.NO_TARGET
    if value is None:
        return TargetStatus.NOT_KNOWN
    met = value <= target if comparison is Comparison.AT_MOST else value >= target
    return TargetStatus.MET if met else TargetStatus.NOT_MET


def expected_share(total: float, n_area_units: int, n_all_units: int) -> float | None:
    """The count an area would have at the comparator's average per unit: the released
    comparator total times the area's share of the units it covers (e.g. LSOAs, which
    are drawn to hold similar numbers of residents). None when there are no units."""
    if n_all_units <= 0 or n_area_units < 0:
        return None
    return total * n_area_units / n_all_units
