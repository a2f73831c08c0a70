"""The area profile: for one area (any level, or a custom area) and one viewer, every
indicator the viewer may see at that area's level, each with its latest released figure,
its trend, its rank and decile among the partnership's areas of that level, the parent
district's and the partnership's figures for comparison, a confidence interval where the
indicator has a denominator, and whether the area differs significantly.

Used by the API (`/api/v1/areas/{code}/profile/`), the map's side panel (one indicator,
one area, one period) and the profile page and its exports. Every figure comes through
layers.read (the protected tables for the granting policy); the rules (ranking, deciles,
intervals, significance) are pure functions in layers.domain; a withheld figure is never
an input to anything shown. One audit event per profile read (`profile.read`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from layers import queries
from layers.domain.access import Decision, Reason, Use
from layers.domain.comparison import (
    Polarity,
    Ranking,
    Significance,
    Spread,
    compare,
    median_of,
    per_area_mean,
    rank_among,
    rank_order,
    spread_of,
)
from layers.domain.disclosure.cells import MARKERS, PublicReason, Released, Status
from layers.domain.disclosure.overlay import sum_of_published
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.errors import NotFound, ParamError
from layers.domain.intervals import Interval, percentage_interval, rate_interval
from layers.domain.marking import document_marking
from layers.domain.periods import PeriodError, parse_period
from layers.geography import custom_area_code, custom_area_for
from layers.models import Agency, AgreementVersion, Area, Dataset, GeographyLevel, Indicator, Period
from layers.protection import PARTNERSHIP, PARTNERSHIP_CODE, published_levels
from layers.read import (
    CUSTOM,
    AccessRefused,
    Source,
    decision_for,
    first_agency_of,
    indicator_named,
    interval_parts,
    level_named,
    periods_of_many,
    published_release,
    record_read,
    released_cells,
    source_for,
)

ACTION = "profile.read"


class Method:
    """How a comparator figure was made (named in every response)."""

    TOTAL_PER_AREA = "released_total_per_area"  # counts: the released total / areas
    TOTAL_PRO_RATA = "released_total_pro_rata"  # counts, custom areas: per unit x members
    RATIO_OF_SUMS = "ratio_of_summed_numerators_and_denominators"
    MEDIAN_OF_SHOWN = "median_of_shown_area_figures"


@dataclass(frozen=True, slots=True)
class ProfileArea:
    """The area a profile is about. `unit_level` is the level its figures are read at
    (its own level, or the base level of a custom area's members)."""

    code: str
    name: str
    level: str
    unit_level: GeographyLevel
    members: tuple[str, ...] = ()
    district_level: str | None = None
    district_code: str | None = None

    @property
    def is_custom(self) -> bool:
        return self.level == CUSTOM


@dataclass(frozen=True, slots=True)
class Figure:
    """One released figure: a value, or null with its marker ([c] withheld, [x] no data)."""

    value: float | None
    status: str
    marker: str | None
    rounded_to: int | None = None

    @staticmethod
    def of(cell: Released | None) -> Figure:
        if cell is None:
            return NO_DATA
        return Figure(cell.value, cell.status.value, cell.marker, cell.rounded_to)

    @staticmethod
    def derived(value: float | None) -> Figure:
        """A figure computed from released figures only (a mean or median)."""
        return Figure(value, Status.SHOWN.value, None) if value is not None else NO_DATA

    @property
    def is_shown(self) -> bool:
        return self.status == Status.SHOWN.value and self.value is not None


NO_DATA = Figure(None, Status.NO_DATA.value, MARKERS[PublicReason.NOT_AVAILABLE])


@dataclass(frozen=True, slots=True)
class Comparator:
    """The district's or the partnership's figure, made comparable with the area's."""

    area_code: str
    area_name: str
    level: str
    value: Figure
    method: str
    n_areas: int
    significance: Significance
    total: Figure | None = None  # counts: the released total itself


@dataclass(frozen=True, slots=True)
class IndicatorProfile:
    indicator: Indicator
    period: Period
    value: Figure
    interval: Interval | None
    trend: list[tuple[Period, Figure]]
    ranking: Ranking | None
    n_ranked: int
    district: Comparator | None
    partnership: Comparator | None
    decision: Decision
    policy: DisclosurePolicy | None
    # The shown figures of every area of the unit level (for a spine chart); for a
    # custom area, those of its base level's areas.
    spread: Spread | None = None

    def figures(self) -> Iterator[Figure]:
        """Every released figure this entry carries (what the audit event counts)."""
        yield from (f for _, f in self.trend)
        for comparator in (self.district, self.partnership):
            if comparator is not None and comparator.total is not None:
                yield comparator.total


@dataclass(slots=True)
class Profile:
    area: ProfileArea
    use: Use
    purpose: str | None
    indicators: list[IndicatorProfile] = field(default_factory=list)
    # Datasets offered at the area's level that this viewer was refused, with the
    # reason code (use_not_permitted: the agreement does not allow this use).
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def n_returned(self) -> int:
        return sum(1 for i in self.indicators for _ in i.figures())

    @property
    def n_withheld(self) -> int:
        return sum(
            1 for i in self.indicators for f in i.figures() if f.status == Status.WITHHELD.value
        )


def find_area(user: Any, code: str, *, level: str | None = None) -> ProfileArea:
    """The area a code names: a GSS code (`level` settles a code two levels share), or a
    custom area of the viewer's agency or shared with the partnership. Unknown, or a
    custom area the viewer may not see: NotFound."""
    code = code.strip()
    custom = custom_area_for(user, code)
    if custom is not None:
        members = tuple(sorted(custom.members.values_list("gss_code", flat=True)))
        slug, districts = queries.district_map(custom.base_level)
        tally: dict[str, int] = {}
        for member in members:
            if member in districts:
                tally[districts[member]] = tally.get(districts[member], 0) + 1
        district = min(tally, key=lambda d: (-tally[d], d)) if tally else None
        return ProfileArea(
            code=custom_area_code(custom),
            name=custom.name,
            level=CUSTOM,
            unit_level=custom.base_level,
            members=members,
            district_level=slug if district else None,
            district_code=district,
        )
    if level == CUSTOM:
        raise NotFound(f"no custom area {code!r} that you may see", parameter="code")
    areas = Area.objects.filter(gss_code=code).select_related("level")
    if level:
        areas = areas.filter(level=level_named(level))
    found = list(areas.order_by("level__slug")[:10])
    if not found:
        raise NotFound(f"no area with code {code!r}", parameter="code")
    if len(found) > 1:
        raise ParamError(
            f"{code} is an area of several levels ({', '.join(a.level.slug for a in found)}): "
            "say which with ?level=",
            parameter="level",
        )
    area = found[0]
    slug, districts = queries.district_map(area.level)
    return ProfileArea(
        code=area.gss_code,
        name=area.name,
        level=area.level.slug,
        unit_level=area.level,
        district_level=slug if code in districts else None,
        district_code=districts.get(code),
    )


def _offered(indicator: Indicator, area: ProfileArea, releases: dict[Any, Any]) -> bool:
    """Is the indicator published at the area's level at all (before any agreement)?"""
    dataset = indicator.dataset
    if area.is_custom:
        summable_count = indicator.is_summable and indicator.measure == Indicator.Measure.COUNT
        return summable_count and dataset.level_id == area.unit_level.id
    if dataset.id not in releases:
        releases[dataset.id] = published_release(dataset)
    if indicator.measure == Indicator.Measure.COUNT and indicator.is_summable:
        # Every summable count of a dataset level reaches the same levels: ask once.
        key = ("summable", dataset.level_id)
        if key not in releases:
            releases[key] = published_levels(indicator, dataset.level, releases[dataset.id])
        levels = releases[key]
    else:
        levels = published_levels(indicator, dataset.level, releases[dataset.id])
    return area.level in {lv.slug for lv in levels}


def _candidates(
    area: ProfileArea, only: list[str] | None, releases: dict[Any, Any]
) -> list[Indicator]:
    if only:
        chosen = [indicator_named(slug) for slug in dict.fromkeys(only)]
        for indicator in chosen:
            if not _offered(indicator, area, releases):
                raise ParamError(
                    f"{indicator.slug} is not published for areas of level {area.level}",
                    parameter="indicator",
                )
        return chosen
    indicators = Indicator.objects.select_related("dataset", "dataset__level", "dataset__owner")
    return [i for i in indicators.order_by("dataset__slug", "slug") if _offered(i, area, releases)]


def _chosen_period(source: Source, text: str | None) -> Period:
    if not text:
        return source.periods[-1]
    try:
        code = parse_period(text).code
    except PeriodError as error:
        raise ParamError(f"period {text!r}: {error}", parameter="period") from None
    for period in source.periods:
        if period.code == code:
            return period
    raise ParamError(
        f"{source.indicator.slug} has no values for period {code!r} "
        f"(latest: {source.periods[-1].code})",
        parameter="period",
    )


def area_profile(
    user: Any,
    area: ProfileArea,
    *,
    use: Use,
    purpose: str | None,
    indicators: list[str] | None = None,
    period: str | None = None,
    refuse_empty: bool = False,
    note: dict[str, Any] | None = None,
) -> Profile:
    """The profile of `area` for this viewer (see the module docstring).

    Access is decided per dataset at the area's level: an indicator without an agreement
    is simply absent, and the refusal is named in the read's one audit event. When
    `indicators` are asked for and none is granted, the read is refused (AccessRefused,
    audited as `access.refused`). `period` (with `indicators`) picks the period; by
    default each indicator's latest. With `refuse_empty` (exports), a read that no
    agreement grants any of the offered datasets for is refused the same way. `note`
    adds to the audit event's detail (e.g. the export's format).
    """
    if period and not indicators:
        raise ParamError(
            "period needs indicator: periods differ between indicators", parameter="period"
        )
    # Each dataset's published release, looked up once for the whole profile.
    releases: dict[Any, Any] = {}
    candidates = _candidates(area, indicators, releases)
    decisions: dict[int, Decision] = {}
    refused: dict[str, str] = {}
    sources: list[Source] = []
    granted_indicators: list[Indicator] = []
    for indicator in candidates:
        dataset: Dataset = indicator.dataset
        if dataset.id not in decisions:
            decisions[dataset.id] = decision_for(
                user, dataset, area.unit_level, use=use, purpose=purpose
            )
        decision = decisions[dataset.id]
        if not decision.allowed:
            refused[dataset.slug] = decision.reason.value
            continue
        if dataset.id not in releases:
            releases[dataset.id] = published_release(dataset)
        granted_indicators.append(indicator)
    # The periods of every granted indicator, asked once per release.
    periods: dict[int, list[Period]] = {}
    for dataset_id in {i.dataset_id for i in granted_indicators}:
        release = releases[dataset_id]
        if release is not None:
            periods |= periods_of_many(
                release, [i for i in granted_indicators if i.dataset_id == dataset_id]
            )
    for indicator in granted_indicators:
        source = source_for(
            indicator,
            decisions[indicator.dataset_id],
            releases[indicator.dataset_id],
            periods=periods.get(indicator.id, []),
        )
        if source is not None:
            sources.append(source)

    granted = [d for d in decisions.values() if d.allowed]
    if (indicators or refuse_empty) and not granted and refused:
        # Name the most telling refusal: an agreement that exists but does not allow
        # this use says more than datasets with no agreement at all.
        first = min(
            (d for d in decisions.values() if not d.allowed),
            key=lambda d: d.reason is Reason.NO_AGREEMENT,
        )
        record_read(
            action="access.refused",
            user=user,
            level=area.level,
            use=use,
            purpose=purpose,
            granted=[],
            refused=refused,
            dataset_id=next(iter(decisions)),
            n_returned=0,
            n_withheld=0,
            detail={
                "read": ACTION,
                "area": area.code,
                "indicators": indicators,
                **(note or {}),
            },
        )
        raise AccessRefused(first, refused=dict(sorted(refused.items())))

    profile = Profile(area=area, use=use, purpose=purpose, refused=dict(sorted(refused.items())))
    context = _Context(area)
    for source in sources:
        profile.indicators.append(_indicator_profile(source, area, context, period))
    record_read(
        action=ACTION,
        user=user,
        level=area.level,
        use=use,
        purpose=purpose,
        granted=granted,
        refused=refused,
        dataset_id=sources[0].indicator.dataset_id if len(decisions) == 1 and sources else None,
        n_returned=profile.n_returned,
        n_withheld=profile.n_withheld,
        detail={
            "area": area.code,
            "indicators": [i.indicator.slug for i in profile.indicators],
            "periods": sorted({i.period.code for i in profile.indicators}),
            **(note or {}),
        },
    )
    return profile


class _Context:
    """Geography a profile needs for every indicator, looked up once per profile."""

    def __init__(self, area: ProfileArea) -> None:
        self.area = area
        self._districts: dict[str, tuple[str | None, dict[str, str]]] = {}
        self._names: dict[tuple[str, str], str] = {}

    def area_name(self, level: str, code: str) -> str:
        if (level, code) not in self._names:
            self._names[(level, code)] = queries.area_name(level, code)
        return self._names[(level, code)]

    def districts(self, level: GeographyLevel) -> tuple[str | None, dict[str, str]]:
        if level.slug not in self._districts:
            self._districts[level.slug] = queries.district_map(level)
        return self._districts[level.slug]


def _indicator_profile(
    source: Source, area: ProfileArea, context: _Context, period_text: str | None
) -> IndicatorProfile:
    indicator = source.indicator
    chosen = _chosen_period(source, period_text)
    trend_periods = [p for p in source.periods if p.kind == chosen.kind]
    own = area.unit_level.slug
    is_count = indicator.measure == Indicator.Measure.COUNT and indicator.is_summable

    # The latest period: the whole level (ranks and medians), the district, the
    # partnership. Earlier periods: the area's own cells only.
    latest_wanted: dict[str, Any] = {own: None, PARTNERSHIP: [PARTNERSHIP_CODE]}
    if area.district_level and area.district_code:
        latest_wanted[area.district_level] = [area.district_code]
    cells = released_cells(source, [chosen], latest_wanted)[chosen.code]
    area_codes = list(area.members) if area.is_custom else [area.code]
    earlier = [p for p in trend_periods if p.id != chosen.id]
    history = released_cells(source, earlier, {own: area_codes}) if earlier else {}
    history[chosen.code] = cells

    def area_cell(levels: dict[str, dict[str, Released]]) -> Released | None:
        units = levels.get(own, {})
        if area.is_custom:
            return sum_of_published(units, {area.code: list(area.members)})[area.code]
        return units.get(area.code)

    trend = [(p, Figure.of(area_cell(history.get(p.code, {})))) for p in trend_periods]
    value = Figure.of(area_cell(cells))
    level_cells = cells.get(own, {})
    shown = {c: r.value for c, r in level_cells.items() if r.status is Status.SHOWN}

    polarity = Polarity(indicator.polarity)
    ranking = None
    if not area.is_custom and value.is_shown and area.code in shown:
        ranking = rank_among(
            float(shown[area.code]),
            [float(v) for v in shown.values() if v is not None],
            lowest_first=rank_order(polarity) == "lowest_first",
        )

    interval = None
    _, district_of = context.districts(area.unit_level)
    in_district = [c for c, d in district_of.items() if d == area.district_code]
    ratio = indicator.measure in (Indicator.Measure.RATE, Indicator.Measure.PERCENTAGE)
    if ratio and value.is_shown and value.value is not None and not area.is_custom:
        # Only a shown figure's parts are read out, to compute its interval.
        parts = interval_parts(source, chosen, {own: [area.code]})
        if (own, area.code) in parts:
            interval = _interval(indicator, value.value, *parts[(own, area.code)])

    def comparator(level: str | None, code: str | None, codes: list[str]) -> Comparator | None:
        if not level or not code:
            return None
        name = "Partnership" if level == PARTNERSHIP else context.area_name(level, code)
        cell = cells.get(level, {}).get(code)
        with_data = [
            c for c in codes if c in level_cells and level_cells[c].status is not Status.NO_DATA
        ]
        if is_count:
            total = Figure.of(cell)
            n = len(with_data)
            per = total.value if total.is_shown else None
            members = len(area.members) if area.is_custom else 1
            mean = per_area_mean(per, n) if per is not None else None
            return Comparator(
                area_code=code,
                area_name=name,
                level=level,
                value=Figure.derived(mean * members if mean is not None else None),
                method=Method.TOTAL_PRO_RATA if area.is_custom else Method.TOTAL_PER_AREA,
                n_areas=n,
                significance=Significance.NOT_COMPARED,
                total=total,
            )
        if ratio and cell is not None:
            figure = Figure.of(cell)
            return Comparator(
                area_code=code,
                area_name=name,
                level=level,
                value=figure,
                method=Method.RATIO_OF_SUMS,
                n_areas=len(with_data),
                significance=compare(interval, figure.value if figure.is_shown else None, polarity),
            )
        values = [float(shown[c]) for c in codes if shown.get(c) is not None]
        median = median_of(values)
        return Comparator(
            area_code=code,
            area_name=name,
            level=level,
            value=Figure.derived(median),
            method=Method.MEDIAN_OF_SHOWN,
            n_areas=len(values),
            significance=compare(interval, median, polarity),
        )

    district = comparator(area.district_level, area.district_code, in_district)
    partnership = comparator(PARTNERSHIP, PARTNERSHIP_CODE, list(level_cells))
    return IndicatorProfile(
        indicator=indicator,
        period=chosen,
        value=value,
        interval=interval,
        trend=trend,
        ranking=ranking,
        n_ranked=len(shown) if not area.is_custom else 0,
        district=district,
        partnership=partnership,
        decision=source.decision,
        policy=source.policy,
        spread=spread_of(float(v) for v in shown.values() if v is not None),
    )


def _interval(
    indicator: Indicator, value: float, numerator: float, denominator: float
) -> Interval | None:
    """The interval of a shown rate or percentage, when its stored parts agree with the
    released figure (a file may carry a value on another scale than its parts)."""
    if denominator <= 0 or not numerator >= 0:
        return None
    per = 100.0 if indicator.measure == Indicator.Measure.PERCENTAGE else indicator.multiplier
    if abs(numerator / denominator * per - value) > max(1e-6, abs(value) * 1e-3):
        return None
    if indicator.measure == Indicator.Measure.PERCENTAGE:
        if numerator > denominator:
            return None
        return percentage_interval(numerator, denominator)
    return rate_interval(numerator, denominator, per=per)


@dataclass(frozen=True, slots=True)
class Citation:
    """An agreement a profile's figures are shared under, as a document cites it; or
    (reference None) the viewer's own agency's data, which needs no agreement."""

    reference: str | None
    version: int | None
    title: str
    provider: str
    legal_basis: str
    marking: str
    datasets: tuple[str, ...]
    policy: str | None


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a profile document states about where its figures come from."""

    citations: tuple[Citation, ...]
    marking: str
    agency: str
    simulated: tuple[str, ...]


def provenance(user: Any, profile: Profile) -> Provenance:
    """The agreements (version, marking, policy) and datasets behind a profile's figures,
    the marking the document carries (the strictest of its agreements'), the agency the
    viewer read it for, and which datasets are simulated."""
    by_agreement: dict[tuple[str | None, int | None], list[IndicatorProfile]] = {}
    for item in profile.indicators:
        key = (item.decision.agreement_ref, item.decision.agreement_version)
        by_agreement.setdefault(key, []).append(item)
    citations: list[Citation] = []
    for (ref, version), items in sorted(
        by_agreement.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "", kv[0][1] or 0)
    ):
        datasets = tuple(sorted({i.indicator.dataset.title for i in items}))
        policy = items[0].policy.describe() if items[0].policy else None
        if ref is None:
            owners = sorted({i.indicator.dataset.owner.name for i in items})
            citations.append(
                Citation(None, None, "Own agency's data", ", ".join(owners), "", "", datasets, None)
            )
            continue
        terms = (
            AgreementVersion.objects.select_related("agreement__provider")
            .filter(agreement__reference=ref, version=version)
            .first()
        )
        if terms is None:  # the decision named it a moment ago; never cite a guess
            raise NotFound(f"agreement {ref} v{version} is not on record")
        citations.append(
            Citation(
                reference=ref,
                version=version,
                title=terms.title,
                provider=terms.agreement.provider.name,
                legal_basis=terms.get_legal_basis_display(),
                marking=terms.marking,
                datasets=datasets,
                policy=policy,
            )
        )
    agency_ids = sorted({i.decision.agency_id for i in profile.indicators if i.decision.agency_id})
    if not agency_ids:
        first = first_agency_of(user)
        agency_ids = [first] if first else []
    agencies = Agency.objects.filter(id__in=agency_ids).order_by("name")
    return Provenance(
        citations=tuple(citations),
        marking=document_marking(c.marking for c in citations if c.reference),
        agency=", ".join(a.name for a in agencies),
        simulated=tuple(
            sorted(
                {
                    i.indicator.dataset.title
                    for i in profile.indicators
                    if i.indicator.dataset.is_simulated
                }
            )
        ),
    )
