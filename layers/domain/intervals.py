"""Confidence intervals for released rates and percentages (pure).

The methods are those the public-health observatories use for small-area indicators
(Public Health England, "Technical Guide: Confidence intervals", 2018; APHO Technical
Briefing 3, "Commonly used public health statistics and their confidence intervals",
2008): the Wilson score interval for a proportion, and for a rate per population the
exact Poisson interval for small counts and Byar's approximation otherwise.

Intervals are computed from a figure's numerator and denominator; the caller computes
one only for a figure that is released (shown), never for a withheld one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# Two-sided 95%: the standard normal quantile at 0.975.
Z_95 = 1.959963984540054
# Below this count Byar's approximation is poor; the exact interval is used instead
# (PHE technical guide, section on rates: "exact ... for counts below 10").
EXACT_BELOW = 10


class Method(StrEnum):
    """How an interval was computed: named in every response that carries one."""

    WILSON = "wilson_score"
    EXACT_POISSON = "exact_poisson"
    BYAR = "byar"


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided confidence interval in the figure's own units (per cent, per 1,000 ...)."""

    low: float
    high: float
    method: Method
    confidence: float = 0.95


def wilson_interval(successes: float, trials: float, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion successes/trials, as fractions of 1.

    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    JASA 22 (1927) 209-212; recommended over the normal ("Wald") interval by Newcombe,
    Statistics in Medicine 17 (1998) 857-872, and by PHE for percentages. It stays inside
    [0, 1] and behaves at 0% and 100%.
    """
    if trials <= 0:
        raise ValueError("a proportion needs a positive number of trials")
    if not 0 <= successes <= trials:
        raise ValueError("successes must be from 0 to the number of trials")
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    scale = 1 + z2 / trials
    # At 0% and 100% the bound is exact; say so rather than trust rounding to land on it.
    low = 0.0 if successes == 0 else max(0.0, (centre - spread) / scale)
    high = 1.0 if successes == trials else min(1.0, (centre + spread) / scale)
    return low, high


def byar_interval(observed: float, *, z: float = Z_95) -> tuple[float, float]:
    """Byar's approximation to the exact Poisson interval for an observed count O.

    Breslow and Day, "Statistical Methods in Cancer Research, Vol. II" (IARC, 1987),
    p. 69: lower = O (1 - 1/(9O) - z/(3 sqrt O))^3,
    upper = (O + 1) (1 - 1/(9(O + 1)) + z/(3 sqrt(O + 1)))^3.
    """
    if observed < 0:
        raise ValueError("a count cannot be negative")
    if observed == 0:
        low = 0.0
    else:
        low = observed * (1 - 1 / (9 * observed) - z / (3 * math.sqrt(observed))) ** 3
    o1 = observed + 1
    high = o1 * (1 - 1 / (9 * o1) + z / (3 * math.sqrt(o1))) ** 3
    return max(0.0, low), high


def _poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean), summed in log space."""
    if mean <= 0:
        return 1.0
    log_mean = math.log(mean)
    return sum(math.exp(i * log_mean - mean - math.lgamma(i + 1)) for i in range(k + 1))


def _solve(target: float, k: int, low: float, high: float) -> float:
    """The mean at which P(X <= k) equals `target`, by bisection: at fixed k the CDF
    falls as the mean grows."""
    for _ in range(200):
        mid = (low + high) / 2
        if _poisson_cdf(k, mid) > target:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def exact_poisson_interval(observed: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count O.

    F. Garwood, "Fiducial limits for the Poisson distribution", Biometrika 28 (1936)
    437-442: the lower limit L solves P(X >= O | L) = a/2 and the upper U solves
    P(X <= O | U) = a/2, with a = 1 - confidence (equal to the chi-squared form
    chi2(a/2, 2O)/2 and chi2(1 - a/2, 2O + 2)/2).
    """
    if observed < 0:
        raise ValueError("a count cannot be negative")
    alpha = 1 - confidence
    ceiling = observed + 20 + 10 * math.sqrt(observed + 1)
    high = _solve(alpha / 2, observed, 0.0, ceiling)
    if observed == 0:
        return 0.0, high
    # P(X >= O | L) = 1 - P(X <= O - 1 | L) = a/2
    low = _solve(1 - alpha / 2, observed - 1, 0.0, ceiling)
    return low, high


def rate_interval(numerator: float, denominator: float, *, per: float) -> Interval:
    """95% interval for a rate numerator/denominator x `per` (e.g. per 1,000 people).

    The count is treated as Poisson: exact below 10 events, Byar's method otherwise.
    """
    if denominator <= 0:
        raise ValueError("a rate needs a positive denominator")
    if numerator < EXACT_BELOW:
        low, high = exact_poisson_interval(round(numerator))
        method = Method.EXACT_POISSON
    else:
        low, high = byar_interval(numerator)
        method = Method.BYAR
    return Interval(low / denominator * per, high / denominator * per, method)


def percentage_interval(numerator: float, denominator: float) -> Interval:
    """95% Wilson score interval for a percentage numerator/denominator x 100."""
    low, high = wilson_interval(numerator, denominator)
    return Interval(low * 100, high * 100, Method.WILSON)
