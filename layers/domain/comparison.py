"""How an area compares with others: rank, decile, medians and significance (pure).

Every function here takes released (shown) figures only. A withheld figure is never an
input to anything that is shown, so nothing computed here can reveal one
(DISCLOSURE.md 4.1: "never return the value under another key").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from layers.domain.intervals import Interval


class Polarity(StrEnum):
    """Whether a higher figure is better, worse, or neither (the indicator says)."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    NEUTRAL = "neutral"


class Significance(StrEnum):
    """An area's figure against a comparator, judged on the area's 95% interval.

    `higher` and `lower` are for indicators with no polarity (neither is better).
    """

    BETTER = "better"
    SIMILAR = "similar"
    WORSE = "worse"
    HIGHER = "higher"
    LOWER = "lower"
    NOT_COMPARED = "not_compared"


@dataclass(frozen=True, slots=True)
class Ranking:
    """Position among the shown figures of the areas of one level: rank 1 and decile 1 are
    the worst figures by the indicator's polarity (`rank_order`)."""

    rank: int
    of: int
    decile: int


def rank_order(polarity: Polarity) -> str:
    """Which end ranks first: the worst. Where higher is better that is the lowest figure
    (so IMD rank and decile keep their own meaning, 1 = most deprived); where lower is
    better, or there is no polarity, the highest."""
    return "lowest_first" if polarity is Polarity.HIGHER_IS_BETTER else "highest_first"


def rank_among(value: float, shown: Iterable[float], *, lowest_first: bool = False) -> Ranking:
    """Rank of `value` among `shown` (which includes it), highest first (lowest first when
    asked), with ties sharing the best rank ("1224" competition ranking); decile =
    ceil(10 x rank / n).

    Only shown figures are ranked: an area whose figure is withheld has no rank, and its
    figure takes no place in anyone else's.
    """
    figures = list(shown)
    if value not in figures:
        raise ValueError("the ranked figure must be one of the shown figures")
    ahead = (f < value for f in figures) if lowest_first else (f > value for f in figures)
    rank = 1 + sum(1 for is_ahead in ahead if is_ahead)
    return Ranking(rank=rank, of=len(figures), decile=math.ceil(10 * rank / len(figures)))


def median_of(shown: Iterable[float]) -> float | None:
    """The median of shown figures (None when there are none): the comparator for scores,
    ranks, and rates whose parts cannot be summed."""
    figures = list(shown)
    return float(statistics.median(figures)) if figures else None


def per_area_mean(total: float, n_areas: int) -> float | None:
    """A released total spread over the areas it covers: a comparator for a count."""
    return total / n_areas if n_areas else None


def compare(interval: Interval | None, benchmark: float | None, polarity: Polarity) -> Significance:
    """Is the area's figure significantly different from `benchmark`?

    The PHE Fingertips rule (PHE, "Technical Guide: Confidence intervals", 2018): the
    area differs when the benchmark lies outside the area's 95% interval; otherwise it
    is similar. Higher is better or worse by the indicator's polarity. Without an
    interval (counts, scores, ranks) or a benchmark, there is no comparison.
    """
    if interval is None or benchmark is None:
        return Significance.NOT_COMPARED
    if interval.low <= benchmark <= interval.high:
        return Significance.SIMILAR
    higher = interval.low > benchmark
    if polarity is Polarity.NEUTRAL:
        return Significance.HIGHER if higher else Significance.LOWER
    good = higher == (polarity is Polarity.HIGHER_IS_BETTER)
    return Significance.BETTER if good else Significance.WORSE


@dataclass(frozen=True, slots=True)
class Spread:
    """The range of the shown figures of the areas of one level: what a spine chart draws
    an area's figure against (lowest, quartiles, median, highest, how many)."""

    low: float
    q1: float
    median: float
    q3: float
    high: float
    n: int


def spread_of(shown: Iterable[float]) -> Spread | None:
    """Lowest, quartiles (inclusive method, as a spreadsheet's QUARTILE.INC), median and
    highest of shown figures; None when there are none. Every input is a released
    figure, so nothing here can reveal a withheld one (module docstring)."""
    figures = sorted(shown)
    if not figures:
        return None
    if len(figures) == 1:
        only = figures[0]
        return Spread(only, only, only, only, only, 1)
    q1, median, q3 = statistics.quantiles(figures, n=4, method="inclusive")
    return Spread(figures[0], q1, median, q3, figures[-1], len(figures))
