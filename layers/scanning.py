"""Areas of concern for one viewer, indicator, level and period (issue 11, "Scanning").

Reads the count indicator (and its denominator, e.g. population) through the read path
(`layers.read`: the access decision, the protected table for the granting policy), runs
the three tests of `layers.domain.scanning` on the figures the viewer is SHOWN, and
writes one audit event for the scan (`concerns.read`).

What is an input, and what is not:
- The Poisson test's partnership rate is the partnership's released total over its
  released denominator, both figures the viewer is shown; only when either is withheld
  does it fall back to the tested areas' own counts and denominators.
- A withheld figure (or no data) is not an input to anything: the area is left out of
  the FDR family of the Poisson test (and of the fallback rate), out of the Gi* lattice
  (weights and all: it is neither a value nor a neighbour), and its control chart is
  not drawn; an earlier period withheld for an area is left out of its history.
- Where the indicator has a denominator, an area is tested only when both its count and
  its denominator are shown. If the viewer may not see the denominator at this level,
  the indicator is not scanned at all (`not_scanned` says why): hot spots of raw counts
  would mostly point at where people live.
- Counts as released: rounded where the agreement rounds.
So a flag can never be shown for an area whose figure the viewer may not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from layers import queries
from layers.domain.access import Decision, Use
from layers.domain.disclosure.cells import Released, Status
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.errors import NotFound, ParamError
from layers.domain.scanning import (
    FDR_Q,
    HOT_SPOT_ALPHA,
    MIN_EARLIER_PERIODS,
    ControlChart,
    Excess,
    Flag,
    HotSpot,
    areas_of_concern,
    control_chart,
    hot_spots,
    poisson_excess,
)
from layers.models import GeographyLevel, Indicator, Period
from layers.protection import PARTNERSHIP, PARTNERSHIP_CODE, published_levels
from layers.read import (
    CUSTOM,
    Source,
    _period,
    current_release,
    decide_access,
    decision_for,
    indicator_named,
    level_named,
    periods_of,
    published_release,
    record_read,
    refuse_levels_unless_readable,
    released_cells,
    source_for,
)

ACTION = "concerns.read"
MAX_EARLIER_PERIODS = 36  # the history a control chart is drawn from, at most
RATE_PER = 1000  # Gi* runs on the rate per 1,000 of the denominator where there is one
CAUTION = 0.1  # warn when more than this share of the level's areas is withheld

METHODS = (
    "Higher than expected: each area's count is compared with the count expected if it "
    "had the partnership's rate (the partnership's total divided by its denominator, "
    "e.g. population; where the partnership total is withheld from you, the total of "
    "the areas tested over theirs), with an exact Poisson test; the chance of a "
    "false alarm across all areas is controlled with the Benjamini-Hochberg false "
    f"discovery rate (q at most {FDR_Q}).",
    "Hot spot: Getis-Ord Gi* compares the figure of an area and its neighbours (areas "
    "whose boundaries touch, even at a corner) with the whole partnership; a hot spot "
    f"is a cluster of high figures significant at {HOT_SPOT_ALPHA} (two-sided, normal "
    "approximation, no correction for testing many areas); an area with no neighbouring "
    "figure is never one. Rates per 1,000 where the indicator has a denominator, counts "
    "otherwise.",
    "Above its own history: a control chart of the area's earlier periods of the same "
    "kind (a c-chart for counts, a u-chart with the denominator); the latest period is "
    "flagged when it is above the upper limit (mean + 3 standard deviations), not when "
    f"it equals it. At least {MIN_EARLIER_PERIODS} earlier periods are needed.",
    "Only figures you may see are used: a withheld figure [c] is not an input to any "
    "test, and its area is not tested and is left out of its neighbours' hot-spot "
    "calculation.",
)


@dataclass(frozen=True, slots=True)
class AreaConcern:
    """One area of concern with its flags and the figures behind them (all derived from
    shown figures only)."""

    code: str
    name: str
    flags: tuple[Flag, ...]
    excess: Excess | None
    hot_spot: HotSpot | None
    control: ControlChart | None


@dataclass(slots=True)
class Scan:
    indicator: Indicator
    level: GeographyLevel
    period: Period
    periods: list[Period]
    decision: Decision
    policy: DisclosurePolicy | None
    denominator: Indicator | None
    denominator_period: Period | None = None
    not_scanned: str | None = None
    concerns: list[AreaConcern] = field(default_factory=list)
    n_areas: int = 0  # areas of the level
    n_shown: int = 0  # areas whose figure (and denominator) the viewer is shown
    n_withheld: int = 0  # areas whose latest figure is withheld from the viewer
    n_history: int = 0  # earlier periods available to the control charts
    refused: dict[str, str] = field(default_factory=dict)
    q_level: float = FDR_Q
    # Where the Poisson test's rate came from: the partnership's released total over its
    # denominator, or (when either is withheld) the shown areas only.
    rate_from: str | None = None

    @property
    def caution(self) -> str | None:
        """A warning when many figures are withheld: disclosure control removes small
        counts, so a rate from the shown areas only leans high or low, and the expected
        counts with it."""
        if self.not_scanned or not self.n_areas or self.n_withheld / self.n_areas <= CAUTION:
            return None
        rate = (
            "the partnership rate is the partnership's own total, so expected counts are "
            "not affected, but withheld areas are not tested."
            if self.rate_from == "partnership"
            else "the partnership rate comes from the shown areas only, so expected counts "
            "may be off."
        )
        return (
            f"{self.n_withheld} of {self.n_areas} areas are withheld from you and left out; "
            f"{rate} A coarser level withholds fewer figures."
        )

    @property
    def tests(self) -> list[str]:
        """The tests that ran."""
        if self.not_scanned:
            return []
        ran = ["hot_spot"]
        if self.denominator is not None:
            ran.insert(0, "excess")
        if self.n_history >= MIN_EARLIER_PERIODS:
            ran.append("control")
        return ran


def _shown(cells: Mapping[str, Released]) -> dict[str, float]:
    return {
        c: float(r.value)
        for c, r in cells.items()
        if r.status is Status.SHOWN and r.value is not None
    }


def _matching(period: Period, available: list[Period]) -> Period:
    """The denominator's period for a period of the count: the same period; else the
    latest that starts by the period's end (population mid-2015 for crime in 2025-12);
    else the earliest there is."""
    for p in available:
        if p.code == period.code:
            return p
    before = [p for p in available if p.start_on <= period.end_on]
    return before[-1] if before else available[0]


def scannable(indicator: Indicator) -> bool:
    """Counts that may be summed (the Poisson test, Gi* and c-charts are for counts)."""
    return indicator.measure == Indicator.Measure.COUNT and indicator.is_summable


def scan(
    user: Any,
    *,
    indicator: str,
    level: str | None = None,
    period: str | None = None,
    use: Use,
    purpose: str | None,
    q_level: float = FDR_Q,
) -> Scan:
    """The areas of concern of `indicator` at `level` (default: the dataset's own, e.g.
    LSOA) in `period` (default: latest) for this viewer. Refused reads raise
    AccessRefused (audited); bad parameters ParamError; otherwise one audit event."""
    found = indicator_named(indicator)
    if not scannable(found):
        raise ParamError(
            f"{found.slug} is a {found.measure}"
            + (" that may not be added up" if found.measure == Indicator.Measure.COUNT else "")
            + ": scanning is for counts that may be added up across areas",
            parameter="indicator",
        )
    dataset = found.dataset
    if level == CUSTOM:
        raise ParamError("custom areas are not scanned (they may overlap)", parameter="level")
    asked = level_named(level) if level else dataset.level
    readable = published_levels(found, dataset.level, published_release(dataset))
    if asked.as_domain() not in readable:
        refuse_levels_unless_readable(
            user, dataset, found, asked, readable, use=use, purpose=purpose
        )
    decision = decide_access(user, dataset, asked, use=use, purpose=purpose)
    release = current_release(dataset)
    periods = periods_of(release, found)
    chosen = _period(period, periods)
    source = source_for(found, decision, release, periods=periods)
    if source is None:  # _period found values, so there is a source
        raise NotFound("the current release holds no values for this indicator")
    same_kind = [p for p in periods if p.kind == chosen.kind and p.start_on <= chosen.start_on]
    history = same_kind[-(MAX_EARLIER_PERIODS + 1) :]
    if history[-1].id != chosen.id:  # two periods starting together: keep the chosen last
        history = [p for p in history if p.id != chosen.id] + [chosen]

    result = Scan(
        indicator=found,
        level=asked,
        period=chosen,
        periods=periods,
        decision=decision,
        policy=source.policy,
        denominator=found.denominator_indicator,
        q_level=q_level,
    )
    granted = [decision]
    den_source: Source | None = None
    den_of: dict[str, Period] = {}
    den = found.denominator_indicator
    if den is not None:
        den = Indicator.objects.select_related("dataset", "dataset__level").get(id=den.id)
        result.denominator = den
        den_release = published_release(den.dataset)
        den_levels = published_levels(den, den.dataset.level, den_release)
        den_decision = decision_for(user, den.dataset, asked, use=use, purpose=purpose)
        if asked.as_domain() not in den_levels:
            result.not_scanned = (
                f"its denominator, {den.name}, is not published for {asked.name} areas"
            )
        elif not den_decision.allowed:
            result.refused[den.dataset.slug] = den_decision.reason.value
            result.not_scanned = (
                f"its denominator, {den.name} ({den.dataset.title}), which gives each "
                "area's expected count, is not available to you at this level "
                f"({den_decision.reason.value.replace('_', ' ')})"
            )
        else:
            granted.append(den_decision)
            den_source = source_for(den, den_decision, den_release)
            if den_source is None:
                result.not_scanned = f"its denominator, {den.name}, has no published figures"
            else:
                den_of = {p.code: _matching(p, den_source.periods) for p in history}
                result.denominator_period = den_of[chosen.code]

    names = queries.area_names(asked)
    result.n_areas = len(names)
    if result.not_scanned is None:
        _run(result, source, history, den_source, den_of, names)
    record_read(
        action=ACTION,
        user=user,
        level=asked.slug,
        use=use,
        purpose=purpose,
        granted=granted,
        refused=result.refused,
        dataset_id=dataset.id,
        n_returned=len(result.concerns),
        n_withheld=result.n_withheld,
        detail={
            "indicator": found.slug,
            "period": chosen.code,
            "release": release.id,
            "denominator": den.slug if den else None,
            "denominator_period": (
                result.denominator_period.code if result.denominator_period else None
            ),
            "tests": result.tests,
            **({"not_scanned": result.not_scanned} if result.not_scanned else {}),
        },
    )
    return result


def _partnership_rate(
    source: Source, period: Period, den_source: Source, den_period: Period
) -> float | None:
    """The partnership's own rate: its released total over its released denominator,
    both figures this viewer is shown (disclosure control withholds small counts, so the
    shown areas alone give a leaning rate). None when either total is not shown."""
    wanted = {PARTNERSHIP: [PARTNERSHIP_CODE]}
    total = released_cells(source, [period], wanted)[period.code].get(PARTNERSHIP, {})
    exposure = released_cells(den_source, [den_period], wanted)[den_period.code].get(
        PARTNERSHIP, {}
    )
    count = _shown(total).get(PARTNERSHIP_CODE)
    people = _shown(exposure).get(PARTNERSHIP_CODE)
    if count is None or not people:
        return None
    return count / people


def _run(
    result: Scan,
    source: Source,
    history: list[Period],
    den_source: Source | None,
    den_of: dict[str, Period],
    names: dict[str, str],
) -> None:
    level = result.level.slug
    chosen = result.period
    cells = released_cells(source, history, {level: None})
    latest_cells = cells[chosen.code].get(level, {})
    result.n_withheld = sum(1 for r in latest_cells.values() if r.status is Status.WITHHELD)
    counts = _shown(latest_cells)
    dens: dict[str, dict[str, float]] = {}
    if den_source is not None:
        den_periods = list({p.id: p for p in den_of.values()}.values())
        den_cells = released_cells(den_source, den_periods, {level: None})
        dens = {code: _shown(den_cells[code].get(level, {})) for code in den_cells}

    def exposure(period: Period) -> dict[str, float] | None:
        return dens[den_of[period.code].code] if den_source is not None else None

    latest_den = exposure(chosen)
    if latest_den is not None:
        # An area is an input only when both its count and its denominator are shown.
        counts = {c: v for c, v in counts.items() if latest_den.get(c, 0) > 0}
    result.n_shown = len(counts)

    excess: dict[str, Excess] = {}
    if latest_den is not None:
        assert den_source is not None  # noqa: S101 (latest_den comes from it)
        result.rate_from = "partnership"
        rate = _partnership_rate(source, chosen, den_source, den_of[chosen.code])
        if rate is None:
            result.rate_from = "shown_areas"
        excess = poisson_excess(
            {c: round(v) for c, v in counts.items()},
            latest_den,
            q_level=result.q_level,
            rate=rate,
        )
        values = {c: v / latest_den[c] * RATE_PER for c, v in counts.items()}
    else:
        values = dict(counts)
    hot = hot_spots(values, queries.area_neighbours(result.level))

    earlier = history[:-1]
    result.n_history = len(earlier)
    control: dict[str, ControlChart] = {}
    if len(earlier) >= MIN_EARLIER_PERIODS:
        shown_before = {p.code: _shown(cells[p.code].get(level, {})) for p in earlier}
        for code, latest in counts.items():
            series: list[float] = []
            exposures: list[float] = []
            for p in earlier:
                figure = shown_before[p.code].get(code)
                n = exposure(p)
                if figure is None or (n is not None and n.get(code, 0) <= 0):
                    continue  # withheld or missing: not part of this area's history
                series.append(figure)
                if n is not None:
                    exposures.append(n[code])
            series.append(latest)
            if latest_den is not None:
                exposures.append(latest_den[code])
            control[code] = control_chart(
                series, exposures=exposures if latest_den is not None else None
            )

    noun = result.indicator.unit or "counted"
    flagged = areas_of_concern(names=names, excess=excess, hot=hot, control=control, noun=noun)
    result.concerns = [
        AreaConcern(
            code=c.code,
            name=c.name,
            flags=c.flags,
            excess=excess.get(c.code),
            hot_spot=hot.get(c.code),
            control=control.get(c.code),
        )
        for c in flagged
        # By construction every flagged area has a shown figure; kept as a guard.
        if c.code in counts
    ]
