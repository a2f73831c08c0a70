"""Performance review: the partnership's priorities for one area (the partnership as a
whole, a district, a ward, or a custom area) and one viewer.

Each priority is one row: the latest released figure with its period, the change from
the previous period and the direction over the available periods (layers.domain.travel),
whether the area is significantly better, similar or worse than the partnership
(layers.domain.comparison on the 95% intervals of layers.domain.intervals), and progress
against the area's target. Every figure comes through layers.read (the protected table
for the granting agreement's policy), exactly as the area profile reads them; a
priority whose dataset the viewer may not see is listed without any figure; a withheld
figure is never an input to a change, direction, comparison or target verdict. One
audit event per read (`priorities.read`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from layers import queries
from layers.domain.access import Decision, Use
from layers.domain.comparison import Polarity, Significance, compare
from layers.domain.disclosure.cells import Released, Status
from layers.domain.disclosure.overlay import sum_of_published
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.errors import NotFound
from layers.domain.intervals import Interval, rate_interval
from layers.domain.travel import (
    Comparison,
    Direction,
    Point,
    SeriesTrend,
    TargetStatus,
    change_from_previous,
    expected_share,
    target_status,
    trend_over_series,
)
from layers.geography import custom_area_code, custom_area_for, visible_custom_areas
from layers.models import Area, GeographyLevel, Indicator, Period, Priority, PriorityTarget
from layers.models.priority import PARTNERSHIP_LEVEL
from layers.profile import Figure, _interval
from layers.protection import PARTNERSHIP, PARTNERSHIP_CODE, published_levels
from layers.read import (
    CUSTOM,
    decision_for,
    interval_parts,
    published_release,
    record_read,
    released_cells,
    source_for,
)

ACTION = "priorities.read"
RATIOS = (Indicator.Measure.RATE, Indicator.Measure.PERCENTAGE)


class Method:
    """How the partnership comparator of a row was made (named in every export)."""

    RATIO = "partnership_rate_of_summed_parts"
    EXPECTED_COUNT = "partnership_total_shared_by_units"
    NONE = "not_compared"


@dataclass(frozen=True, slots=True)
class DashboardArea:
    """The area a dashboard is about. `key` names it in a URL: `partnership`,
    `<level>:<code>`, or `custom:<code>`."""

    key: str
    code: str
    name: str
    level: str
    members: tuple[str, ...] = ()
    base_level: GeographyLevel | None = None

    @property
    def is_partnership(self) -> bool:
        return self.level == PARTNERSHIP

    @property
    def is_custom(self) -> bool:
        return self.level == CUSTOM


PARTNERSHIP_AREA = DashboardArea(
    key=PARTNERSHIP, code=PARTNERSHIP_CODE, name="The partnership area", level=PARTNERSHIP
)


@dataclass(frozen=True, slots=True)
class AreaChoice:
    key: str
    label: str
    group: str


@dataclass(frozen=True, slots=True)
class Versus:
    """The area against a comparator area (the partnership, or the district a ward or
    custom area lies in): the comparator's figure made comparable with the area's (its
    rate, or the count the area would have at its average per unit), how, the released
    total it came from (counts), and the verdict on the area's 95% interval."""

    level: str
    code: str
    name: str
    figure: Figure
    method: str
    significance: Significance
    total: Figure | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One priority for the area. `shared` False: no figure at all (`refusal` says why)."""

    priority: Priority
    polarity: Polarity
    shared: bool
    refusal: str | None = None
    period: Period | None = None
    value: Figure | None = None
    interval: Interval | None = None
    previous: tuple[Period, Figure] | None = None
    change: float | None = None
    change_direction: Direction = Direction.TOO_FEW_PERIODS
    series: SeriesTrend = field(default_factory=lambda: SeriesTrend(Direction.TOO_FEW_PERIODS, 0))
    trend: tuple[tuple[Period, Figure], ...] = ()
    comparator: Figure | None = None
    comparator_method: str = Method.NONE
    partnership_total: Figure | None = None
    significance: Significance = Significance.NOT_COMPARED
    district: Versus | None = None
    target: PriorityTarget | None = None
    target_figure: tuple[Period, Figure] | None = None
    target_status: TargetStatus = TargetStatus.NO_TARGET
    decision: Decision | None = None
    policy: DisclosurePolicy | None = None

    @property
    def indicator(self) -> Indicator:
        return self.priority.indicator

    def figures(self) -> list[Figure]:
        """Every released figure the row carries (what the audit event counts)."""
        out = [f for _, f in self.trend]
        if self.partnership_total is not None:
            out.append(self.partnership_total)
        if self.district is not None and self.district.total is not None:
            out.append(self.district.total)
        return out


@dataclass(slots=True)
class Dashboard:
    area: DashboardArea
    use: Use
    purpose: str | None
    rows: list[Row] = field(default_factory=list)

    @property
    def indicators(self) -> list[Row]:
        """The shared rows (layers.profile.provenance cites their agreements)."""
        return [r for r in self.rows if r.shared and r.decision is not None]

    @property
    def n_returned(self) -> int:
        return sum(len(r.figures()) for r in self.rows)

    @property
    def n_withheld(self) -> int:
        return sum(1 for r in self.rows for f in r.figures() if f.status == Status.WITHHELD.value)


def _priorities() -> list[Priority]:
    return list(
        Priority.objects.select_related(
            "indicator", "indicator__dataset", "indicator__dataset__level", "owner"
        )
        .prefetch_related("targets")
        .order_by("display_order", "title")
    )


def _district_level(level: GeographyLevel) -> GeographyLevel | None:
    slug, _ = queries.district_map(level)
    return GeographyLevel.objects.filter(slug=slug).first() if slug else None


def area_choices(user: Any) -> list[AreaChoice]:
    """What the dashboard offers: the partnership, its districts, the wards of each
    district (by the base level of the priorities' datasets), and the custom areas the
    viewer may see."""
    choices = [AreaChoice(PARTNERSHIP, PARTNERSHIP_AREA.name, "Partnership")]
    levels = {p.indicator.dataset.level for p in _priorities()}
    seen: set[str] = set()
    for base in sorted(levels, key=lambda lv: lv.slug):
        district = _district_level(base)
        if district is None or district.slug in seen:
            continue
        seen.add(district.slug)
        for area in Area.objects.filter(level=district).order_by("name"):
            choices.append(AreaChoice(f"{district.slug}:{area.gss_code}", area.name, "Districts"))
        wards = GeographyLevel.objects.filter(
            slug__in=queries.parent_level_slugs(base), kind="ward"
        ).order_by("-edition", "slug")
        ward_level = wards.first()
        if ward_level is not None:
            _, ward_district = queries.district_map(ward_level)
            names = dict(Area.objects.filter(level=district).values_list("gss_code", "name"))
            for area in Area.objects.filter(level=ward_level).order_by("name"):
                in_district = names.get(ward_district.get(area.gss_code, ""), "")
                label = f"{area.name} ({in_district})" if in_district else area.name
                choices.append(AreaChoice(f"{ward_level.slug}:{area.gss_code}", label, "Wards"))
        for custom in visible_custom_areas(user).filter(base_level=base).order_by("name"):
            code = custom_area_code(custom)
            choices.append(AreaChoice(f"{CUSTOM}:{code}", custom.name, "Custom areas"))
    return choices


def find_dashboard_area(user: Any, key: str | None) -> DashboardArea:
    """The area a key names (see DashboardArea); unknown, or a custom area the viewer may
    not see: NotFound."""
    key = (key or PARTNERSHIP).strip()
    if key == PARTNERSHIP:
        return PARTNERSHIP_AREA
    level, _, code = key.partition(":")
    if level == CUSTOM:
        custom = custom_area_for(user, code)
        if custom is None:
            raise NotFound(f"no custom area {code!r} that you may see", parameter="area")
        members = tuple(sorted(custom.members.values_list("gss_code", flat=True)))
        return DashboardArea(
            key=key,
            code=custom_area_code(custom),
            name=custom.name,
            level=CUSTOM,
            members=members,
            base_level=custom.base_level,
        )
    area = Area.objects.filter(level__slug=level, gss_code=code).select_related("level").first()
    if area is None:
        raise NotFound(f"no area {key!r}", parameter="area")
    return DashboardArea(key=key, code=area.gss_code, name=area.name, level=area.level.slug)


def _decision_level(area: DashboardArea, indicator: Indicator) -> GeographyLevel | None:
    """The level access is decided at: the area's own; for the partnership as a whole,
    the district level of the dataset (its own level when it has no districts)."""
    dataset_level = indicator.dataset.level
    if area.is_custom:
        return area.base_level if area.base_level == dataset_level else None
    if area.is_partnership:
        return _district_level(dataset_level) or dataset_level
    return GeographyLevel.objects.filter(slug=area.level).first()


def _is_offered(area: DashboardArea, indicator: Indicator, level: GeographyLevel) -> bool:
    if area.is_partnership:
        return True
    if area.is_custom:
        return indicator.measure == Indicator.Measure.COUNT and indicator.is_summable
    release = published_release(indicator.dataset)
    return level.as_domain() in published_levels(indicator, indicator.dataset.level, release)


def _count_interval(figure: Figure) -> Interval | None:
    """A shown count's 95% interval as a Poisson count (exact below 10, else Byar)."""
    if not figure.is_shown or figure.value is None or figure.value < 0:
        return None
    return rate_interval(figure.value, 1, per=1)


def _target_for(priority: Priority, area: DashboardArea) -> PriorityTarget | None:
    level = PARTNERSHIP_LEVEL if area.is_partnership else area.level
    code = "" if area.is_partnership else area.code
    return next(
        (t for t in priority.targets.all() if t.level == level and t.area_code == code), None
    )


def _units_in(area: DashboardArea, indicator: Indicator) -> int:
    """How many of the dataset's units (e.g. LSOAs) the area covers: public geography."""
    base = indicator.dataset.level
    if area.is_custom:
        return len(area.members)
    if area.is_partnership:
        return len(queries.area_codes(base))
    return len(queries.codes_within(base, area.code) or set())


def _district_of(area: DashboardArea) -> tuple[str, str] | None:
    """(district level, code) a ward, MSOA, LSOA or custom area lies in (a custom area:
    the district most of its members lie in, ties to the lowest code); None for a
    district or the partnership, whose comparator is the partnership."""
    if area.is_partnership:
        return None
    level = area.base_level if area.is_custom else GeographyLevel.objects.get(slug=area.level)
    if level is None or level.kind == "lad":
        return None
    slug, district_of = queries.district_map(level)
    if slug is None:
        return None
    if not area.is_custom:
        code = district_of.get(area.code)
        return (slug, code) if code else None
    tally: dict[str, int] = {}
    for member in area.members:
        if member in district_of:
            tally[district_of[member]] = tally.get(district_of[member], 0) + 1
    return (slug, min(tally, key=lambda d: (-tally[d], d))) if tally else None


def dashboard(
    user: Any,
    area: DashboardArea,
    *,
    use: Use,
    purpose: str | None,
    note: Mapping[str, Any] | None = None,
) -> Dashboard:
    """Every priority for `area` and this viewer (see the module docstring), audited as
    one read."""
    result = Dashboard(area=area, use=use, purpose=purpose)
    granted: list[Decision] = []
    refused: dict[str, str] = {}
    for priority in _priorities():
        row = _priority_row(user, priority, area, use=use, purpose=purpose)
        result.rows.append(row)
        if row.decision is not None:
            granted.append(row.decision)
        elif row.refusal and row.refusal not in ("not_published_for_area", "level_not_published"):
            refused[priority.indicator.dataset.slug] = row.refusal
    record_read(
        action=ACTION,
        user=user,
        level=area.level,
        use=use,
        purpose=purpose,
        granted=granted,
        refused=refused,
        dataset_id=None,
        n_returned=result.n_returned,
        n_withheld=result.n_withheld,
        detail={
            "area": area.code,
            "priorities": [r.priority.slug for r in result.rows if r.shared],
            "not_shared": [r.priority.slug for r in result.rows if not r.shared],
            "periods": sorted({r.period.code for r in result.rows if r.period}),
            **(note or {}),
        },
    )
    return result


def _priority_row(
    user: Any, priority: Priority, area: DashboardArea, *, use: Use, purpose: str | None
) -> Row:
    indicator = priority.indicator
    polarity = Polarity(priority.effective_polarity)
    target = _target_for(priority, area)
    level = _decision_level(area, indicator)
    if level is None or not _is_offered(area, indicator, level):
        return Row(priority, polarity, shared=False, refusal="not_published_for_area")
    decision = decision_for(user, indicator.dataset, level, use=use, purpose=purpose)
    if not decision.allowed:
        return Row(priority, polarity, shared=False, refusal=decision.reason.value)
    release = published_release(indicator.dataset)
    source = source_for(indicator, decision, release) if release is not None else None
    if source is None:
        return Row(priority, polarity, shared=True, refusal="no_data", decision=decision)
    latest = source.periods[-1]
    periods = [p for p in source.periods if p.kind == latest.kind]

    own = area.base_level.slug if area.is_custom and area.base_level else area.level
    codes = list(area.members) if area.is_custom else [area.code]
    wanted: dict[str, list[str]] = {own: codes}
    if not area.is_partnership:
        wanted[PARTNERSHIP] = [PARTNERSHIP_CODE]
    district = _district_of(area)
    if district is not None:
        wanted[district[0]] = [district[1]]
    cells = released_cells(source, periods, wanted)
    if not any(own in cells[p.code] for p in periods):
        # The granting agreement's protected tables do not publish this level (e.g. wards
        # under an agreement whose finest level is coarser than their units).
        return Row(priority, polarity, shared=False, refusal="level_not_published")

    def area_cell(levels: Mapping[str, Mapping[str, Released]]) -> Released | None:
        units = levels.get(own, {})
        if area.is_custom:
            return sum_of_published(dict(units), {area.code: list(area.members)})[area.code]
        return units.get(area.code)

    trend = tuple((p, Figure.of(area_cell(cells.get(p.code, {})))) for p in periods)
    is_ratio = indicator.measure in RATIOS

    def interval_of(period: Period, figure: Figure) -> Interval | None:
        if not figure.is_shown or figure.value is None:
            return None
        if indicator.measure == Indicator.Measure.COUNT:
            return _count_interval(figure)
        if is_ratio and not area.is_custom:
            # Only a shown figure's parts are read out, to compute its interval.
            parts = interval_parts(source, period, {own: [area.code]})
            if (own, area.code) in parts:
                return _interval(indicator, figure.value, *parts[(own, area.code)])
        return None

    def point(period: Period, figure: Figure) -> Point | None:
        if not figure.is_shown or figure.value is None:
            return None
        return Point(float(figure.value), interval_of(period, figure))

    value = trend[-1][1]
    interval = interval_of(latest, value)
    previous = trend[-2] if len(trend) > 1 else None
    change = None
    change_direction = Direction.TOO_FEW_PERIODS
    if previous is not None:
        now, before = point(latest, value), point(*previous)
        change_direction = change_from_previous(now, before, polarity)
        if now is not None and before is not None:
            change = now.value - before.value
    series = trend_over_series(
        [float(f.value) if f.is_shown and f.value is not None else None for _, f in trend],
        polarity,
    )

    is_count = indicator.measure == Indicator.Measure.COUNT and indicator.is_summable

    def versus(level: str, code: str, name: str, n_units: int) -> Versus | None:
        whole = Figure.of(cells[latest.code].get(level, {}).get(code))
        if is_ratio:
            benchmark = whole.value if whole.is_shown else None
            return Versus(
                level, code, name, whole, Method.RATIO, compare(interval, benchmark, polarity)
            )
        if not is_count:
            return None
        expected = (
            expected_share(float(whole.value), _units_in(area, indicator), n_units)
            if whole.is_shown and whole.value is not None
            else None
        )
        # A withheld comparator total stays withheld: it is the comparator as it is.
        figure = Figure.derived(expected) if expected is not None else whole
        significance = compare(interval, expected, polarity)
        return Versus(level, code, name, figure, Method.EXPECTED_COUNT, significance, whole)

    whole_area = None
    near = None
    if not area.is_partnership:
        whole_area = versus(
            PARTNERSHIP, PARTNERSHIP_CODE, "Partnership", _units_in(PARTNERSHIP_AREA, indicator)
        )
    if district is not None:
        slug, code = district
        inside = queries.codes_within(indicator.dataset.level, code) or set()
        near = versus(slug, code, queries.area_name(slug, code), len(inside))
    comparator = whole_area.figure if whole_area else None
    method = whole_area.method if whole_area else Method.NONE
    total = whole_area.total if whole_area else None
    significance = whole_area.significance if whole_area else Significance.NOT_COMPARED

    target_figure = None
    verdict = TargetStatus.NO_TARGET
    if target is not None:
        target_figure = next(((p, f) for p, f in trend if p.code == target.period_code), trend[-1])
        figure = target_figure[1]
        verdict = target_status(
            float(figure.value) if figure.is_shown and figure.value is not None else None,
            target.value,
            Comparison(target.comparison),
        )
    return Row(
        priority=priority,
        polarity=polarity,
        shared=True,
        period=latest,
        value=value,
        interval=interval,
        previous=previous,
        change=change,
        change_direction=change_direction,
        series=series,
        trend=trend,
        comparator=comparator,
        comparator_method=method,
        partnership_total=total,
        significance=significance,
        district=near,
        target=target,
        target_figure=target_figure,
        target_status=verdict,
        decision=decision,
        policy=source.policy,
    )


__all__ = [
    "ACTION",
    "PARTNERSHIP_AREA",
    "AreaChoice",
    "Dashboard",
    "DashboardArea",
    "Method",
    "Row",
    "Versus",
    "area_choices",
    "dashboard",
    "find_dashboard_area",
]
