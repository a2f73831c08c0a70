"""A profile made ready for people: its figures as text, grouped by theme, with the
charts, the notes that apply and where the figures come from. The page, the PDF and the
HTML export render this; the CSV and XLSX take the figures from the profile itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from layers.domain.access import Use
from layers.locator import Locator
from layers.models import Dataset
from layers.profile import (
    Comparator,
    IndicatorProfile,
    Profile,
    Provenance,
)
from portal.exports.charts import (
    SpineRow,
    legend_swatch_svg,
    locator_svg,
    sparkline_svg,
    spine_bar_svg,
)
from portal.exports.formatting import (
    NOTES,
    REFUSAL_TEXT,
    SIGNIFICANCE_TEXT,
    THEME_ORDER,
    THEMES,
    figure_text,
    number,
)

LEVEL_KINDS = {
    "oa": "Output Area",
    "lsoa": "Lower layer Super Output Area (LSOA)",
    "msoa": "Middle layer Super Output Area (MSOA)",
    "ward": "Electoral ward",
    "lad": "Local authority district",
}


@dataclass(frozen=True, slots=True)
class Row:
    item: IndicatorProfile
    slug: str
    name: str
    dataset: str
    simulated: bool
    measure: str
    unit: str
    period: str
    value: str
    status: str
    interval: str
    rank: str
    decile: str
    district: str
    district_significance: str
    partnership: str
    partnership_significance: str
    trend_svg: str
    trend_text: str
    agreement: str
    spine_svg: str = ""

    @property
    def district_significance_text(self) -> str:
        return SIGNIFICANCE_TEXT.get(self.district_significance, "")

    @property
    def partnership_significance_text(self) -> str:
        return SIGNIFICANCE_TEXT.get(self.partnership_significance, "")


@dataclass(frozen=True, slots=True)
class Group:
    """The rows of one dataset in a section, with where they come from."""

    dataset: str
    simulated: bool
    agreement: str
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Section:
    theme: str
    title: str
    rows: tuple[Row, ...]

    @property
    def groups(self) -> list[Group]:
        out: list[Group] = []
        for row in self.rows:
            if out and out[-1].dataset == row.dataset and out[-1].agreement == row.agreement:
                out[-1] = Group(out[-1].dataset, row.simulated, row.agreement, (*out[-1].rows, row))
            else:
                out.append(Group(row.dataset, row.simulated, row.agreement, (row,)))
        return out


SPINE_LEGEND = (
    ("range", "range of areas"),
    ("middle", "middle half"),
    ("median", "median"),
    ("better", "better"),
    ("similar", "similar"),
    ("worse", "worse"),
    ("not_compared", "not compared"),
)


@dataclass(frozen=True, slots=True)
class ProfileDocument:
    profile: Profile
    provenance: Provenance
    sections: tuple[Section, ...]
    locator_svg: str
    notes: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]
    made_at: datetime
    made_by: str
    area_kind: str
    district_name: str

    @property
    def has_spine(self) -> bool:
        return any(row.spine_svg for row in self.rows)

    @property
    def spine_legend(self) -> list[tuple[str, str]]:
        return [(legend_swatch_svg(kind), text) for kind, text in SPINE_LEGEND]

    @property
    def rows(self) -> list[Row]:
        return [row for section in self.sections for row in section.rows]

    @property
    def agreements_text(self) -> str:
        """The agreements named in the footer of every page."""
        cited = [f"{c.reference} v{c.version}" for c in self.provenance.citations if c.reference]
        own = any(c.reference is None for c in self.provenance.citations)
        parts = []
        if cited:
            public = self.profile.use is Use.PUBLIC
            verb = "Published to the public under " if public else "Shared under "
            parts.append(verb + ", ".join(cited))
        if own:
            parts.append("own agency's data")
        return "; ".join(parts) or "No figures"


def _comparator_text(comparator: Comparator | None, measure: str) -> str:
    if comparator is None:
        return ""
    return figure_text(comparator.value, measure)


def _row(item: IndicatorProfile, profile: Profile) -> Row:
    indicator = item.indicator
    measure = indicator.measure
    interval = ""
    if item.interval is not None:
        decimals = 1
        interval = (
            f"{number(item.interval.low, decimals=decimals)} to "
            f"{number(item.interval.high, decimals=decimals)}"
        )
    rank = decile = ""
    if item.ranking is not None:
        rank = f"{item.ranking.rank:,} of {item.ranking.of:,}"
        decile = str(item.ranking.decile)
    points = [(p.code, f.value if f.is_shown else None) for p, f in item.trend]
    trend_text = (
        f"{item.trend[0][0].code} to {item.trend[-1][0].code}" if len(item.trend) > 1 else ""
    )
    decision = item.decision
    value_text = figure_text(item.value, measure)
    spine = _spine_row(item, profile, value_text)
    return Row(
        item=item,
        slug=indicator.slug,
        name=indicator.name,
        dataset=indicator.dataset.title,
        simulated=indicator.dataset.is_simulated,
        measure=measure,
        unit=indicator.unit,
        period=item.period.code,
        value=value_text,
        status=item.value.status,
        interval=interval,
        rank=rank,
        decile=decile,
        district=_comparator_text(item.district, measure),
        district_significance=item.district.significance.value if item.district else "",
        partnership=_comparator_text(item.partnership, measure),
        partnership_significance=(item.partnership.significance.value if item.partnership else ""),
        trend_svg=sparkline_svg(points),
        trend_text=trend_text,
        agreement=(
            f"{decision.agreement_ref} v{decision.agreement_version}"
            if decision.agreement_ref
            else "own agency's data"
        ),
        spine_svg=spine_bar_svg(spine) if spine is not None else "",
    )


def _spine_row(item: IndicatorProfile, profile: Profile, value_text: str) -> SpineRow | None:
    spread = item.spread
    if spread is None or spread.n < 2:
        return None
    value = item.value.value if item.value.is_shown else None
    label = item.indicator.name
    if profile.area.is_custom and value is not None:
        # A custom area's count is a sum over its LSOAs: charted per LSOA, against LSOAs.
        value = value / max(len(profile.area.members), 1)
        value_text = f"{number(value, decimals=1)} per LSOA"
    polarity = item.indicator.polarity
    return SpineRow(
        label=label,
        value=value,
        value_text=value_text,
        low=spread.low,
        q1=spread.q1,
        median=spread.median,
        q3=spread.q3,
        high=spread.high,
        higher_is_better=(None if polarity == "neutral" else polarity == "higher_is_better"),
        significance=(item.partnership.significance.value if item.partnership else "not_compared"),
    )


def refusals(refused: dict[str, str]) -> list[tuple[str, str]]:
    """(dataset title, why it is not included) for datasets a read was refused."""
    titles = dict(Dataset.objects.filter(slug__in=list(refused)).values_list("slug", "title"))
    return [
        (titles.get(slug, slug), REFUSAL_TEXT.get(reason, reason.replace("_", " ")))
        for slug, reason in refused.items()
    ]


def build_document(
    profile: Profile,
    provenance: Provenance,
    *,
    locator: Locator | None,
    made_by: Any,
    made_at: datetime | None = None,
) -> ProfileDocument:
    """Everything the page, the PDF and the HTML export show, formatted."""
    by_theme: dict[str, list[Row]] = {}
    for item in profile.indicators:
        row = _row(item, profile)
        by_theme.setdefault(item.indicator.dataset.theme, []).append(row)
    sections = tuple(
        Section(theme, THEMES.get(theme, theme.title()), tuple(by_theme[theme]))
        for theme in sorted(
            by_theme, key=lambda t: (THEME_ORDER.index(t) if t in THEMES else 99, t)
        )
    )
    statuses = {row.status for section in sections for row in section.rows} | {
        f.status for item in profile.indicators for _, f in item.trend
    }
    notes = []
    if "withheld" in statuses:
        notes.append(NOTES["withheld"])
    if "no_data" in statuses:
        notes.append(NOTES["no_data"])
    notes.append(NOTES["rounding"])
    if profile.area.is_custom:
        notes.append(NOTES["custom"])
    notes += [NOTES["rank"], NOTES["comparators"], NOTES["intervals"]]
    if provenance.simulated:
        notes.append(
            "SIMULATED: "
            + ", ".join(provenance.simulated)
            + " are simulated for demonstration and are not real records."
        )
    refused = tuple(refusals(profile.refused))
    area = profile.area
    if area.is_custom:
        kind = f"Custom area of {len(area.members)} LSOAs ({area.unit_level.name})"
    else:
        level = area.unit_level
        kind = f"{LEVEL_KINDS.get(level.kind, level.name)}, {level.edition} boundaries"
    district_name = next(
        (i.district.area_name for i in profile.indicators if i.district is not None), ""
    )
    if not district_name and locator is not None and locator.district is not None:
        district_name = locator.district.name
    return ProfileDocument(
        profile=profile,
        provenance=provenance,
        sections=sections,
        locator_svg=locator_svg(locator) if locator is not None else "",
        notes=tuple(notes),
        refused=refused,
        made_at=timezone.localtime(made_at or timezone.now()),
        made_by=made_by.get_username() if hasattr(made_by, "get_username") else str(made_by),
        area_kind=kind,
        district_name=district_name,
    )
