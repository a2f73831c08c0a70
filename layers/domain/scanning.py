"""Scanning for problems (issue 11, "Scanning"): which areas stand out, and why.

Three tests, each over plain data (area code -> figure) that the caller has already
taken through the read path, so that only figures the viewer may see are inputs:

- `poisson_excess`: an area's count against the count expected from the partnership
  rate (sum of counts / sum of denominators over the areas tested), an exact one-sided
  Poisson test, p = P(X >= observed | expected), with the Benjamini-Hochberg false
  discovery rate across the areas tested.
- `hot_spots`: Getis-Ord Gi* z-scores over the area adjacency (PySAL `esda.G_Local`,
  binary weights with the area itself included, `star=True`), judged by the normal
  approximation (two-sided p from the z-score); a hot spot is a significant positive z.
- `control_chart`: statistical process control of an area's own history: a c-chart for
  counts, or a u-chart when each period has a denominator; the latest period breaches
  when it is above the upper control limit.

`areas_of_concern` puts the flags of the three together, one entry per area with a
plain-language reason for each flag, strongest first.

Sources: Benjamini and Hochberg (1995), "Controlling the false discovery rate";
Getis and Ord (1992) and Ord and Getis (1995) for Gi*; Montgomery, "Introduction to
Statistical Quality Control", for c- and u-charts (limits at 3 sigma).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

FDR_Q = 0.05  # the false discovery rate the excess test controls
HOT_SPOT_ALPHA = 0.05  # two-sided level of a Gi* hot spot (|z| >= 1.96)
MIN_EARLIER_PERIODS = 6  # a control chart needs at least this many earlier periods
SIGMAS = 3.0  # control limits at the centre +- 3 standard deviations
# Control limits are compared with a relative tolerance, so that a figure equal to its
# limit up to floating-point rounding counts as equal (and so is not a breach).
_TOLERANCE = 1e-9


class Kind(StrEnum):
    EXCESS = "excess"  # significantly higher than expected from the partnership rate
    HOT_SPOT = "hot_spot"  # Getis-Ord Gi* hot spot
    CONTROL = "control"  # above the upper control limit of its own history


# --- 1. the exact Poisson test with a false discovery rate -----------------------------


@dataclass(frozen=True, slots=True)
class Excess:
    """One area's count against the count expected from the partnership rate."""

    code: str
    observed: int
    expected: float
    ratio: float | None  # observed / expected (None when nothing is expected)
    p: float  # one-sided: P(X >= observed) for X ~ Poisson(expected)
    q: float  # Benjamini-Hochberg adjusted p-value across the areas tested
    flagged: bool  # q <= the FDR level: significantly higher than expected


def poisson_p_upper(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected): the exact one-sided p-value of a count
    as high as `observed`. Zero observed: 1. Nothing expected (expected 0): 1 for a
    zero count, 0 otherwise (any event is then impossible under the null)."""
    if observed <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    return float(stats.poisson.sf(observed - 1, expected))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given.

    Sort the m p-values ascending, p(1) <= ... <= p(m); q(i) = min over j >= i of
    p(j) * m / j, capped at 1. An area is a discovery at FDR level alpha when its
    q <= alpha, which is the BH step-up rule (Benjamini and Hochberg 1995)."""
    m = len(p_values)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: (p_values[i], i))
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


def poisson_excess(
    counts: Mapping[str, int],
    denominators: Mapping[str, float],
    *,
    q_level: float = FDR_Q,
    rate: float | None = None,
) -> dict[str, Excess]:
    """The exact Poisson test of every area that has both a count and a positive
    denominator, against expected = denominator x partnership rate. The rate is `rate`
    when given (the partnership's own total over its denominator), else the sum of the
    tested areas' counts over the sum of their denominators. The areas tested are the
    FDR family; an area is flagged when its q-value is at most `q_level`. Areas without
    both figures are not tested and not in the result."""
    tested = sorted(c for c in counts if c in denominators and denominators[c] > 0)
    if not tested:
        return {}
    if rate is None:
        total = sum(counts[c] for c in tested)
        exposure = sum(denominators[c] for c in tested)
        rate = total / exposure
    expected = {c: denominators[c] * rate for c in tested}
    p = [poisson_p_upper(counts[c], expected[c]) for c in tested]
    q = benjamini_hochberg(p)
    return {
        c: Excess(
            code=c,
            observed=counts[c],
            expected=expected[c],
            ratio=counts[c] / expected[c] if expected[c] > 0 else None,
            p=p[i],
            q=q[i],
            flagged=q[i] <= q_level,
        )
        for i, c in enumerate(tested)
    }


# --- 2. Getis-Ord Gi* hot spots ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotSpot:
    """One area's Gi* z-score over itself and its neighbours."""

    code: str
    z: float
    p: float  # two-sided, from the normal approximation
    n_neighbours: int  # neighbours with a value (the area itself not counted)
    flagged: bool  # z > 0 and p < alpha, with at least one neighbour


def hot_spots(
    values: Mapping[str, float],
    neighbours: Mapping[str, Collection[str]],
    *,
    alpha: float = HOT_SPOT_ALPHA,
) -> dict[str, HotSpot]:
    """Getis-Ord Gi* for every area in `values` over the adjacency `neighbours` (area
    code -> the codes it touches, queen contiguity), through `esda.G_Local` with binary
    weights and the area included in its own neighbourhood (star=True):

        z_i = (sum_j w_ij x_j - xbar * sum_j w_ij)
              / (S * sqrt((n * sum_j w_ij^2 - (sum_j w_ij)^2) / (n - 1)))

    with j running over i and its neighbours, xbar and S the mean and (population)
    standard deviation of all n values. Inference is analytical, not by permutation, so
    the answer is deterministic: p = 2 * (1 - Phi(|z|)); a hot spot is z > 0 with p < alpha.

    Only areas in `values` take part: an area without a value (withheld from the viewer,
    or no data) is dropped from the lattice, weights and all, so it is neither a value
    nor a neighbour. An area left with no neighbour is still scored, on itself alone,
    but is never flagged: one high figure is not a cluster.
    Fewer than 3 areas, or all values equal: no scores (the statistic is undefined).
    """
    codes = sorted(values)
    n = len(codes)
    if n < 3:
        return {}
    y = np.array([float(values[c]) for c in codes])
    if float(np.ptp(y)) == 0.0:
        return {}
    kept = {c: sorted({m for m in neighbours.get(c, ()) if m in values and m != c}) for c in codes}
    # esda and libpysal are imported here: they pull in geopandas, which most callers of
    # this module never need.
    from esda.getisord import G_Local
    from libpysal.weights import W

    with warnings.catch_warnings():
        # Islands (areas with no neighbour) are expected: two districts far apart.
        warnings.simplefilter("ignore")
        weights = W(kept, id_order=codes, silence_warnings=True)
        gi = G_Local(y, weights, transform="B", permutations=0, star=True)
    z = np.asarray(gi.Zs, dtype=float)
    out: dict[str, HotSpot] = {}
    for i, c in enumerate(codes):
        if not math.isfinite(z[i]):
            continue
        p = float(2.0 * stats.norm.sf(abs(z[i])))
        out[c] = HotSpot(
            code=c,
            z=float(z[i]),
            p=p,
            n_neighbours=len(kept[c]),
            # An area with no neighbour is scored on itself alone: a high figure, not a
            # cluster, so never called a hot spot.
            flagged=bool(z[i] > 0 and p < alpha and kept[c]),
        )
    return out


# --- 3. statistical process control of an area's own history -----------------------------


class Judgement(StrEnum):
    BREACH = "breach"  # the latest period is above the upper control limit
    IN_CONTROL = "in_control"  # at or below it
    TOO_FEW_PERIODS = "too_few_periods"  # fewer than MIN_EARLIER_PERIODS earlier periods
    ZERO_MEAN = "zero_mean"  # the centre is 0: the limits collapse, no judgement
    NO_EXPOSURE = "no_exposure"  # u-chart: the latest period has no positive denominator


@dataclass(frozen=True, slots=True)
class ControlChart:
    """The control chart of one area's history, judged at its latest period.

    For a c-chart the figures are counts; for a u-chart they are counts per unit of
    denominator (`latest` is then latest count / latest denominator)."""

    chart: str  # "c" or "u"
    judgement: Judgement
    n_earlier: int
    latest: float | None = None
    centre: float | None = None
    upper: float | None = None
    lower: float | None = None
    sigma: float | None = None  # the standard deviation at the latest period
    exposure: float | None = None  # u-chart: the latest period's denominator

    @property
    def breach(self) -> bool:
        return self.judgement is Judgement.BREACH


def control_chart(
    counts: Sequence[float],
    *,
    exposures: Sequence[float] | None = None,
    min_earlier: int = MIN_EARLIER_PERIODS,
) -> ControlChart:
    """Judge the latest of `counts` (oldest first; the last is the latest period)
    against control limits from the earlier ones (Montgomery, c- and u-charts):

    - c-chart (no `exposures`): centre c = mean of the earlier counts, limits
      c +- 3 * sqrt(c), the lower one floored at 0.
    - u-chart (`exposures`, one per count): centre u = sum of earlier counts / sum of
      earlier exposures, limits at the latest period u +- 3 * sqrt(u / n_latest).

    The latest period breaches when it is strictly above the upper limit: a figure equal
    to the limit (up to a relative 1e-9, for floating point) is in control. No judgement
    with fewer than `min_earlier` earlier periods, with a centre of 0 (the limits collapse
    onto 0 and every event would breach), or, for a u-chart, with no positive latest
    exposure.
    """
    if exposures is not None and len(exposures) != len(counts):
        raise ValueError("exposures must give one denominator per count")
    chart = "c" if exposures is None else "u"
    n_earlier = max(0, len(counts) - 1)
    if n_earlier < min_earlier:
        return ControlChart(chart, Judgement.TOO_FEW_PERIODS, n_earlier)
    earlier = [float(c) for c in counts[:-1]]
    if exposures is None:
        centre = sum(earlier) / len(earlier)
        latest = float(counts[-1])
        if centre <= 0:
            return ControlChart(chart, Judgement.ZERO_MEAN, n_earlier, latest=latest, centre=0.0)
        sigma = math.sqrt(centre)
    else:
        exposure = sum(float(e) for e in exposures[:-1])
        if exposure <= 0 or float(exposures[-1]) <= 0:
            return ControlChart(chart, Judgement.NO_EXPOSURE, n_earlier)
        centre = sum(earlier) / exposure
        latest = float(counts[-1]) / float(exposures[-1])
        if centre <= 0:
            return ControlChart(chart, Judgement.ZERO_MEAN, n_earlier, latest=latest, centre=0.0)
        sigma = math.sqrt(centre / float(exposures[-1]))
    upper = centre + SIGMAS * sigma
    lower = max(0.0, centre - SIGMAS * sigma)
    above = latest > upper * (1.0 + _TOLERANCE)
    return ControlChart(
        chart=chart,
        judgement=Judgement.BREACH if above else Judgement.IN_CONTROL,
        n_earlier=n_earlier,
        latest=latest,
        centre=centre,
        upper=upper,
        lower=lower,
        sigma=sigma,
        exposure=None if exposures is None else float(exposures[-1]),
    )


# --- the areas of concern ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flag:
    """One reason an area is of concern: which test, its p-value (the q-value for the
    excess test), and the reason in plain language."""

    test: Kind
    p: float
    reason: str


@dataclass(frozen=True, slots=True)
class Concern:
    code: str
    name: str
    flags: tuple[Flag, ...]

    @property
    def strongest_p(self) -> float:
        return min(f.p for f in self.flags)


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _p(x: float) -> str:
    return "< 0.001" if x < 0.001 else f"= {x:.3f}"


def excess_reason(e: Excess, noun: str) -> str:
    """E.g. '42 crimes against 23.1 expected at the partnership rate (1.8x), q = 0.003'."""
    ratio = f" ({e.ratio:.1f}×)" if e.ratio is not None else ""
    return (
        f"{e.observed:,} {noun} against {e.expected:,.1f} expected at the partnership rate"
        f"{ratio}, p {_p(e.p)}, q {_p(e.q)}"
    )


def hot_spot_reason(h: HotSpot) -> str:
    areas = f"area{'s' if h.n_neighbours != 1 else ''}"
    return (
        f"hot spot: high figures cluster in it and its {h.n_neighbours} neighbouring {areas} "
        f"(Gi* z = {h.z:.2f}, p {_p(h.p)})"
    )


def control_reason(c: ControlChart, noun: str) -> str:
    assert c.latest is not None and c.upper is not None and c.centre is not None  # noqa: S101
    if c.chart == "c":
        return (
            f"above its own control limit: {_num(c.latest)} {noun} against an upper limit "
            f"of {c.upper:,.1f} (mean of {c.n_earlier} earlier periods {c.centre:,.1f})"
        )
    # A u-chart's figures are rates: read at the latest denominator they are counts again.
    n = c.exposure or 1.0
    return (
        f"above its own control limit: {_num(round(c.latest * n, 6))} {noun} against an "
        f"upper limit of {c.upper * n:,.1f} (at its rate over {c.n_earlier} earlier "
        f"periods, {c.centre * n:,.1f} expected)"
    )


def control_p(c: ControlChart) -> float:
    """How far above its centre the latest period is, as a one-sided normal p-value
    (for ordering flags only: the breach rule is the control limit)."""
    if c.latest is None or c.centre is None or not c.sigma:
        return 1.0
    return float(stats.norm.sf((c.latest - c.centre) / c.sigma))


def areas_of_concern(
    *,
    names: Mapping[str, str],
    excess: Mapping[str, Excess],
    hot: Mapping[str, HotSpot],
    control: Mapping[str, ControlChart],
    noun: str = "counted",
) -> list[Concern]:
    """Every area flagged by at least one test, with a reason per flag, sorted by
    strength: more kinds of evidence first, then the smallest p-value (the q-value for
    the excess test), then by code. `names` gives each area's name."""
    flags: dict[str, list[Flag]] = {}
    for code, e in excess.items():
        if e.flagged:
            flags.setdefault(code, []).append(Flag(Kind.EXCESS, e.q, excess_reason(e, noun)))
    for code, h in hot.items():
        if h.flagged:
            flags.setdefault(code, []).append(Flag(Kind.HOT_SPOT, h.p, hot_spot_reason(h)))
    for code, c in control.items():
        if c.breach:
            flags.setdefault(code, []).append(
                Flag(Kind.CONTROL, control_p(c), control_reason(c, noun))
            )
    concerns = [Concern(code, names.get(code, code), tuple(f)) for code, f in flags.items()]
    concerns.sort(key=lambda c: (-len(c.flags), c.strongest_p, c.code))
    return concerns
