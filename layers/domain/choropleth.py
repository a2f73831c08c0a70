"""Choropleth rules for the map (pure): class breaks, change between two periods, and
rank and decile within the partnership (the area profile's convention).

Every rule here works on RELEASED figures only (after disclosure control): a withheld
or missing figure is never classified, ranked or differenced. Breaks come from
`mapclassify` over the shown values, so the legend's ranges and counts describe only
what the reader may see.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

MIN_CLASSES = 3
MAX_CLASSES = 9
# mapclassify's Fisher-Jenks is exact but pure Python without numba, and grows with the
# square of the number of values (0.5 s for 500, 17 s for 2,000 on the reference
# machine). Above this many shown values the breaks are fitted to an evenly spaced
# sample of the sorted values (stratified and deterministic: the same figures always
# give the same map, unlike mapclassify's random FisherJenksSampled) and then applied
# to all of them.
JENKS_SAMPLE = 300


class Method(StrEnum):
    """How the shown values are cut into classes."""

    QUANTILES = "quantiles"
    JENKS = "jenks"
    EQUAL_INTERVAL = "equal_interval"


class ChangeKind(StrEnum):
    ABSOLUTE = "absolute"
    PERCENT = "percent"


@dataclass(frozen=True, slots=True)
class Band:
    """One class: the range of the values that fell in it, and how many did."""

    lower: float
    upper: float
    count: int


@dataclass(frozen=True, slots=True)
class Classes:
    """The classes of one map and the class of each shown value (None where not shown)."""

    method: Method
    kind: str  # "sequential" or "diverging"
    bands: tuple[Band, ...]
    of_value: tuple[int | None, ...]


def _check_k(k: int, *, diverging: bool) -> None:
    if not MIN_CLASSES <= k <= MAX_CLASSES:
        raise ValueError(f"k must be from {MIN_CLASSES} to {MAX_CLASSES}, not {k}")
    if diverging and k % 2 == 0:
        raise ValueError(f"a diverging map needs an odd number of classes, not {k}")


def _upper_bounds(values: np.ndarray, method: Method, k: int) -> list[float]:
    """Upper bound of each class (right-closed), the last being the maximum."""
    # Imported here: it pulls in scikit-learn (seconds), wanted only when a map is drawn.
    import mapclassify

    distinct = np.unique(values)
    if len(distinct) <= k:
        return [float(v) for v in distinct]
    sample = values
    if method is Method.JENKS and len(values) > JENKS_SAMPLE:
        ordered = np.sort(values)
        sample = ordered[np.linspace(0, len(ordered) - 1, JENKS_SAMPLE).round().astype(int)]
    classifier = {
        Method.QUANTILES: mapclassify.Quantiles,
        Method.EQUAL_INTERVAL: mapclassify.EqualInterval,
        Method.JENKS: mapclassify.FisherJenks,
    }[method]
    # mapclassify warns when ties leave fewer classes than asked ("Setting k to 4") and
    # that numba is missing; fewer classes is the documented outcome here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fitted = classifier(sample, k=k)
    bounds = sorted({float(b) for b in fitted.bins})
    top = float(values.max())
    bounds = [b for b in bounds if b < top] + [top]
    return bounds


def _assign(value: float, bounds: Sequence[float]) -> int:
    for i, upper in enumerate(bounds):
        if value <= upper:
            return i
    return len(bounds) - 1


def _bands(values: Sequence[float], of_value: Sequence[int | None], n: int) -> tuple[Band, ...]:
    members: list[list[float]] = [[] for _ in range(n)]
    for value, cls in zip(values, of_value, strict=True):
        if cls is not None:
            members[cls].append(value)
    return tuple(
        Band(lower=min(m), upper=max(m), count=len(m)) if m else Band(math.nan, math.nan, 0)
        for m in members
    )


def classify(
    values: Sequence[float | None], *, method: Method, k: int, diverging: bool = False
) -> Classes:
    """Cut the shown values (None = withheld or no data: left out) into at most `k`
    classes by `method`.

    Sequential: right-closed classes from the minimum to the maximum (mapclassify's
    convention); fewer than `k` when there are fewer distinct values. Diverging (for
    change, odd `k`): the middle class is "no change" (exactly 0) and each side has
    (k-1)/2 classes fitted to the absolute size of the changes on both sides together,
    mirrored, so equal colours mean equal sizes of rise and fall.
    Each band reports the lowest and highest value that fell in it and how many did.
    """
    _check_k(k, diverging=diverging)
    shown = [float(v) for v in values if v is not None and not math.isnan(v)]
    if not diverging:
        bounds = _upper_bounds(np.asarray(shown, dtype=float), method, k) if shown else []
        of_value = tuple(
            None if v is None or math.isnan(v) else _assign(float(v), bounds) for v in values
        )
        return Classes(
            method, "sequential", _bands(_as_floats(values), of_value, len(bounds)), of_value
        )

    side = (k - 1) // 2
    sizes = np.asarray([abs(v) for v in shown if v != 0], dtype=float)
    bounds = _upper_bounds(sizes, method, side) if len(sizes) else []
    # Always `side` classes a side, so the palette's middle stays "no change".
    while bounds and len(bounds) < side:
        bounds.insert(0, bounds[0])

    def diverging_class(v: float) -> int:
        if v == 0 or not bounds:
            return side
        step = _assign(abs(v), bounds)
        return side + 1 + step if v > 0 else side - 1 - step

    of_value = tuple(
        None if v is None or math.isnan(v) else diverging_class(float(v)) for v in values
    )
    return Classes(method, "diverging", _bands(_as_floats(values), of_value, k), of_value)


def _as_floats(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


@dataclass(frozen=True, slots=True)
class Change:
    """The change of one area between two periods, or why there is none."""

    value: float | None
    status: str  # shown, withheld or no_data (as the released cells)
    marker: str | None


def change_between(
    before: float | None,
    before_status: str,
    after: float | None,
    after_status: str,
    *,
    kind: ChangeKind,
) -> Change:
    """The change from `before` to `after` for one area, from released figures only.

    A cell withheld in either period is withheld in the change (`[c]`): a change
    computed from a withheld figure would disclose it. No data in either period gives
    no data (`[x]`); a percentage change from 0 is not applicable (`[z]`).
    """
    if before_status == "withheld" or after_status == "withheld":
        return Change(None, "withheld", "[c]")
    if before is None or after is None or before_status != "shown" or after_status != "shown":
        return Change(None, "no_data", "[x]")
    if kind is ChangeKind.ABSOLUTE:
        return Change(after - before, "shown", None)
    if before == 0:
        return Change(None, "no_data", "[z]")
    return Change(round((after - before) / abs(before) * 100, 1), "shown", None)


@dataclass(frozen=True, slots=True)
class Standing:
    """An area's rank and decile among the shown values (1 = the worst end, as
    `layers.domain.comparison.rank_order` says), and how many were ranked."""

    rank: int
    decile: int
    of: int


def standings(
    values: Sequence[float | None], *, lowest_first: bool = False
) -> list[Standing | None]:
    """Rank and decile of every shown value at once, by the convention of
    `layers.domain.comparison.rank_among` (the area profile's): highest first (lowest
    first when asked: where higher is better, the worst end ranks first), ties
    sharing the best rank ("1224"), decile = ceil(10 x rank / n). That function ranks one
    value; this one ranks a whole level in one sort (35,000 LSOAs at national scale).

    Withheld and missing values are not ranked and do not count in `of`, so a rank says
    nothing about them.
    """
    shown = [(float(v), i) for i, v in enumerate(values) if v is not None and not math.isnan(v)]
    ordered = sorted(shown, key=lambda vi: vi[0], reverse=not lowest_first)
    n = len(ordered)
    out: list[Standing | None] = [None] * len(values)
    rank = 0
    previous: float | None = None
    for position, (value, index) in enumerate(ordered, start=1):
        if value != previous:
            rank = position
            previous = value
        out[index] = Standing(rank=rank, decile=math.ceil(10 * rank / n), of=n)
    return out
