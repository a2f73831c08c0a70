"""The priorities dashboard made ready for people (page) and files (CSV, XLSX, PDF): every
figure as text, with the words for directions, comparisons and targets, the notes and
the agreements cited. Only formats a layers.priorities.Dashboard; never queries."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from layers.domain.spreadsheet import neutral
from layers.domain.travel import Direction, TargetStatus
from layers.priorities import Dashboard, Method, Row
from layers.profile import Figure, Provenance, provenance
from portal.exports.formatting import (
    NOTES,
    REFUSAL_TEXT,
    SIGNIFICANCE_TEXT,
    figure_text,
    file_value,
    number,
)

DIRECTION_TEXT = {
    Direction.IMPROVING.value: "improving",
    Direction.WORSENING.value: "worsening",
    Direction.NO_CLEAR_CHANGE.value: "no clear change",
    Direction.HIGHER.value: "higher",
    Direction.LOWER.value: "lower",
    Direction.NOT_TESTED.value: "not tested",
    Direction.TOO_FEW_PERIODS.value: "too few periods to tell",
}
DIRECTION_ARROW = {
    Direction.IMPROVING.value: "▲",
    Direction.WORSENING.value: "▼",
    Direction.NO_CLEAR_CHANGE.value: "▶",
    Direction.HIGHER.value: "↑",
    Direction.LOWER.value: "↓",
}
TARGET_TEXT = {
    TargetStatus.MET.value: "met",
    TargetStatus.NOT_MET.value: "not met",
    TargetStatus.NOT_KNOWN.value: "not known (figure not shown)",
    TargetStatus.NO_TARGET.value: "no target",
}
NOT_SHARED = "not shared with you"
OTHER_REASONS = {
    "not_published_for_area": "not published for this kind of area",
    "level_not_published": "your agreement does not publish it for this kind of area",
    "no_data": "no figures published yet",
}
PRIORITY_NOTES = [
    "Change from the previous period: the latest figure against the previous period's 95% "
    "interval (counts as Poisson counts: exact under 10, else Byar's method; rates and "
    "percentages as in the profiles). Inside the interval is no clear change.",
    "Over the series: the Mann-Kendall trend test over the periods of the latest period's "
    "kind (two-sided 5%; at least 5 shown figures). Withheld periods are left out, never "
    "filled in.",
    "Compared with the partnership (and, for a ward or custom area, its district): rates "
    "and percentages against the comparator's rate; counts against the count the area "
    "would have at the comparator's average per unit (e.g. per LSOA; LSOAs hold similar "
    "numbers of residents), judged on the area's 95% interval. Rounded counts make this "
    "approximate.",
    "Improving and worsening follow the priority's direction (lower is better for a "
    "priority to reduce something).",
    NOTES["withheld"],
    NOTES["no_data"],
    NOTES["rounding"],
]


@dataclass(frozen=True, slots=True)
class TextRow:
    row: Row
    title: str
    description: str
    lead: str
    indicator: str
    dataset: str
    simulated: bool
    shared: bool
    not_shared_reason: str
    period: str
    value: str
    status: str
    interval: str
    previous: str
    change: str
    change_direction: str
    series_direction: str
    n_periods: int
    comparator: str
    significance: str
    district_name: str
    district_comparator: str
    district_significance: str
    target: str
    target_status: str
    agreement: str

    @property
    def change_arrow(self) -> str:
        return DIRECTION_ARROW.get(self.change_direction, "")

    @property
    def series_arrow(self) -> str:
        return DIRECTION_ARROW.get(self.series_direction, "")

    @property
    def change_direction_text(self) -> str:
        return DIRECTION_TEXT.get(self.change_direction, "")

    @property
    def series_direction_text(self) -> str:
        return DIRECTION_TEXT.get(self.series_direction, "")

    @property
    def significance_text(self) -> str:
        return SIGNIFICANCE_TEXT.get(self.significance, "")

    @property
    def district_significance_text(self) -> str:
        return SIGNIFICANCE_TEXT.get(self.district_significance, "")

    @property
    def target_status_text(self) -> str:
        return TARGET_TEXT.get(self.target_status, "")


@dataclass(frozen=True, slots=True)
class PriorityDocument:
    board: Dashboard
    provenance: Provenance
    rows: list[TextRow]
    made_at: datetime
    made_by: str
    notes: list[str]

    @property
    def agreements_text(self) -> str:
        cited = [f"{c.reference} v{c.version}" for c in self.provenance.citations if c.reference]
        own = any(c.reference is None for c in self.provenance.citations)
        parts = (["Shared under " + ", ".join(cited)] if cited else []) + (
            ["own agency's data"] if own else []
        )
        return "; ".join(parts) or "No figures"

    @property
    def marking(self) -> str:
        return self.provenance.marking


def _agreement(row: Row) -> str:
    if row.decision is None:
        return ""
    if row.decision.agreement_ref:
        return f"{row.decision.agreement_ref} v{row.decision.agreement_version}"
    return "own agency's data"


def _interval_text(row: Row, measure: str) -> str:
    if row.interval is None:
        return ""
    decimals = 1 if measure in ("rate", "percentage") else 0
    low = number(row.interval.low, decimals=decimals)
    return f"{low}–{number(row.interval.high, decimals=decimals)}"


def _change_text(row: Row, measure: str) -> str:
    if row.previous is None:
        return ""
    if row.change is None:
        return "not shown (a figure is withheld or missing)"
    decimals = 1 if measure in ("rate", "percentage") else None
    sign = "+" if row.change > 0 else ("−" if row.change < 0 else "±")
    return f"{sign}{number(abs(row.change), decimals=decimals)} since {row.previous[0].code}"


def _versus_text(figure: Figure | None, method: str, name: str, measure: str) -> str:
    if figure is None:
        return ""
    text = figure_text(figure, measure)
    if not figure.is_shown:
        return f"{name} figure {text}"
    if method == Method.EXPECTED_COUNT:
        return f"{text} expected at the {name} average"
    return f"{name} {text}"


def _comparator_text(row: Row, measure: str) -> str:
    return _versus_text(row.comparator, row.comparator_method, "partnership", measure)


def _target_text(row: Row) -> str:
    target = row.target
    if target is None:
        return ""
    by = " ".join(
        part
        for part in (
            f"by {target.period_code}" if target.period_code else "",
            f"by {target.due_on:%d %B %Y}" if target.due_on else "",
        )
        if part
    )
    return f"{target.get_comparison_display()} {number(target.value)} {by}".strip()


def text_row(row: Row) -> TextRow:
    indicator = row.indicator
    measure = indicator.measure
    owner = row.priority.owner
    value = row.value if row.value is not None else None
    return TextRow(
        row=row,
        title=row.priority.title,
        description=row.priority.description,
        lead=owner.name if owner else "Partnership-wide",
        indicator=indicator.name,
        dataset=indicator.dataset.title,
        simulated=indicator.dataset.is_simulated,
        shared=row.shared,
        not_shared_reason=OTHER_REASONS.get(row.refusal or "")
        or REFUSAL_TEXT.get(row.refusal or "", ""),
        period=row.period.code if row.period else "",
        value=figure_text(value, measure) if row.shared and row.period else "",
        status=value.status if value is not None else "",
        interval=_interval_text(row, measure),
        previous=figure_text(row.previous[1], measure) if row.previous else "",
        change=_change_text(row, measure),
        change_direction=row.change_direction.value if row.shared else "",
        series_direction=row.series.direction.value if row.shared else "",
        n_periods=row.series.n,
        comparator=_comparator_text(row, measure),
        significance=row.significance.value if row.shared else "",
        district_name=row.district.name if row.district else "",
        district_comparator=_versus_text(
            row.district.figure, row.district.method, row.district.name, measure
        )
        if row.district
        else "",
        district_significance=row.district.significance.value if row.district else "",
        target=_target_text(row),
        target_status=row.target_status.value,
        agreement=_agreement(row),
    )


def build_priority_document(user: Any, board: Dashboard, *, made_at: datetime) -> PriorityDocument:
    return PriorityDocument(
        board=board,
        # provenance reads .indicators (rows with .decision, .policy, .indicator).
        provenance=provenance(user, cast(Any, board)),
        rows=[text_row(r) for r in board.rows],
        made_at=made_at,
        made_by=user.get_username(),
        notes=PRIORITY_NOTES,
    )


CSV_COLUMNS = [
    "area_code",
    "area_name",
    "priority",
    "priority_title",
    "lead",
    "indicator",
    "indicator_name",
    "measure",
    "shared",
    "period",
    "value",
    "status",
    "lower_95",
    "upper_95",
    "previous_period",
    "previous_value",
    "change",
    "change_direction",
    "series_direction",
    "series_periods",
    "partnership_comparator",
    "comparator_method",
    "compared_with_partnership",
    "district_code",
    "district_comparator",
    "compared_with_district",
    "target",
    "target_status",
    "agreement",
    "simulated",
]


def _cells(doc: PriorityDocument, text: TextRow) -> list[Any]:
    row = text.row
    area = doc.board.area
    shown = row.shared and row.period is not None
    return [
        neutral(area.code),
        neutral(area.name),
        neutral(row.priority.slug),
        neutral(text.title),
        neutral(text.lead),
        neutral(row.indicator.slug),
        neutral(text.indicator),
        row.indicator.measure,
        "yes" if row.shared else NOT_SHARED,
        text.period,
        file_value(row.value) if shown else "",
        text.status,
        round(row.interval.low, 6) if row.interval else "",
        round(row.interval.high, 6) if row.interval else "",
        row.previous[0].code if row.previous else "",
        file_value(row.previous[1]) if row.previous else "",
        row.change if row.change is not None else "",
        text.change_direction,
        text.series_direction,
        row.series.n if shown else "",
        file_value(row.comparator) if row.comparator is not None else "",
        row.comparator_method if shown else "",
        text.significance,
        row.district.code if row.district else "",
        file_value(row.district.figure) if row.district else "",
        text.district_significance,
        neutral(text.target),
        text.target_status if shown or row.target else "",
        text.agreement,
        "yes" if text.simulated else "no",
    ]


def _heading(doc: PriorityDocument) -> str:
    area = doc.board.area
    return (
        f"Priorities for {area.name} ({area.code}); made {doc.made_at:%d %B %Y %H:%M} "
        f"by {doc.made_by} for {doc.provenance.agency}"
    )


def render_csv(doc: PriorityDocument) -> str:
    out = io.StringIO()

    def comment(text: str) -> None:
        out.write("# " + " ".join(text.split()) + "\n")

    comment(doc.marking)
    comment(_heading(doc))
    comment(doc.agreements_text)
    for note in doc.notes:
        comment(note)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for text in doc.rows:
        writer.writerow(_cells(doc, text))
    return out.getvalue()


def render_xlsx(doc: PriorityDocument) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Priorities"
    sheet.append([neutral(doc.marking)])
    sheet["A1"].font = Font(bold=True, color="C0262D")
    sheet.append([neutral(_heading(doc))])
    sheet["A2"].font = Font(bold=True, size=13)
    sheet.append([neutral(doc.agreements_text)])
    sheet.append([])
    sheet.append(CSV_COLUMNS)
    for i in range(1, len(CSV_COLUMNS) + 1):
        cell = sheet.cell(row=5, column=i)
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
        cell.font = Font(bold=True, color="FFFFFF")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(i)].width = 16
    sheet.freeze_panes = "A6"
    for text in doc.rows:
        sheet.append([neutral(c) for c in _cells(doc, text)])
    notes = book.create_sheet("Notes")
    notes.append([neutral(doc.marking)])
    notes.append(["Where the figures come from"])
    for c in doc.provenance.citations:
        if c.reference:
            notes.append(
                [
                    neutral(
                        f"{c.reference} v{c.version}: {c.title}, provided by {c.provider}. "
                        f"Legal basis: {c.legal_basis}. Marking: {c.marking}. "
                        f"Datasets: {', '.join(c.datasets)}. Disclosure policy: {c.policy}."
                    )
                ]
            )
        else:
            notes.append([neutral(f"Own agency's data ({c.provider}): {', '.join(c.datasets)}")])
    notes.append([])
    notes.append(["Notes"])
    for note in doc.notes:
        notes.append([neutral(note)])
    notes.column_dimensions["A"].width = 120
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_pdf(doc: PriorityDocument) -> bytes:
    """The dashboard as a PDF with the profile PDF's machinery (portal.exports.pdf): the
    marking heads and foots every page with the agreements, and the renderer fetches
    nothing from anywhere."""
    from weasyprint import HTML

    from portal.exports.pdf import _fetcher, _stylesheet
    from portal.templatetags.profile_charts import CHART_SCHEME

    html = render_to_string("portal/exports/priorities_pdf.html", {"doc": doc})
    document = HTML(string=html, base_url=f"{CHART_SCHEME}/", url_fetcher=_fetcher({}))
    return bytes(document.write_pdf(stylesheets=[_stylesheet()]))
