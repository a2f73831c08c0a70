"""XLSX of a profile (openpyxl): a data sheet (one row per indicator, latest period, with
`[c]` and `[x]` in value cells), a trend sheet (one row per indicator and period), a notes
sheet (sources, agreements, rounding and suppression) and a metadata sheet. Every text
cell goes through `neutral`, so no name or label can become a formula."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from layers.domain.spreadsheet import neutral
from portal.exports.document import ProfileDocument
from portal.exports.formatting import SIGNIFICANCE_TEXT, file_value

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MARKING_FONT = Font(bold=True, color="C0262D")

DATA_COLUMNS = [
    ("Theme", 22),
    ("Dataset", 34),
    ("Indicator", 36),
    ("Measure", 11),
    ("Unit", 16),
    ("Period", 10),
    ("Value", 11),
    ("Lower 95% limit", 11),
    ("Upper 95% limit", 11),
    ("Rank", 8),
    ("Of", 8),
    ("Decile", 8),
    ("District", 18),
    ("District figure", 12),
    ("Compared with district", 14),
    ("Partnership figure", 12),
    ("Compared with partnership", 14),
    ("Agreement", 18),
    ("Simulated", 10),
]
TREND_COLUMNS = [
    ("Indicator", 36),
    ("Indicator code", 22),
    ("Period", 10),
    ("Value", 11),
    ("Status", 10),
    ("Agreement", 18),
]


def _sheet(ws: Worksheet, doc: ProfileDocument, columns: list[tuple[str, int]], title: str) -> None:
    ws.append([neutral(doc.provenance.marking)])
    ws["A1"].font = MARKING_FONT
    ws.append([neutral(title)])
    ws["A2"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append([name for name, _ in columns])
    for i, (_, width) in enumerate(columns, start=1):
        cell = ws.cell(row=4, column=i)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A5"


def _value(figure: Any) -> Any:
    value = file_value(figure)
    if isinstance(value, float):
        return round(value, 6)
    return value


def render_xlsx(doc: ProfileDocument) -> bytes:
    area = doc.profile.area
    book = Workbook()
    data = book.active
    data.title = "Profile"
    _sheet(data, doc, DATA_COLUMNS, f"Profile of {area.name} ({area.code})")
    for section, row in ((s, r) for s in doc.sections for r in s.rows):
        item = row.item
        measure = item.indicator.measure
        district, partnership = item.district, item.partnership
        data.append(
            [
                neutral(section.title),
                neutral(row.dataset),
                neutral(row.name),
                measure,
                neutral(row.unit),
                item.period.code,
                _value(item.value),
                round(item.interval.low, 4) if item.interval else None,
                round(item.interval.high, 4) if item.interval else None,
                item.ranking.rank if item.ranking else None,
                item.ranking.of if item.ranking else None,
                item.ranking.decile if item.ranking else None,
                neutral(district.area_name) if district else None,
                _value(district.value) if district else None,
                SIGNIFICANCE_TEXT[district.significance.value] if district else None,
                _value(partnership.value) if partnership else None,
                SIGNIFICANCE_TEXT[partnership.significance.value] if partnership else None,
                row.agreement,
                "yes" if row.simulated else "no",
            ]
        )
        for col in (7, 8, 9, 14, 16):
            cell = data.cell(row=data.max_row, column=col)
            if isinstance(cell.value, float):
                cell.number_format = "#,##0.0"
            elif isinstance(cell.value, int):
                cell.number_format = "#,##0"
            elif isinstance(cell.value, str):
                cell.alignment = Alignment(horizontal="right")

    trend = book.create_sheet("Trend")
    _sheet(trend, doc, TREND_COLUMNS, f"Trend: {area.name} ({area.code}), one row per period")
    for row in doc.rows:
        for period, figure in row.item.trend:
            trend.append(
                [
                    neutral(row.name),
                    row.slug,
                    period.code,
                    _value(figure),
                    figure.status,
                    row.agreement,
                ]
            )

    notes = book.create_sheet("Notes")
    notes.column_dimensions["A"].width = 120
    notes.append([neutral(doc.provenance.marking)])
    notes["A1"].font = MARKING_FONT
    notes.append(["Notes"])
    notes["A2"].font = Font(bold=True, size=13)
    for note in doc.notes:
        notes.append([neutral(note)])
        notes.cell(row=notes.max_row, column=1).alignment = Alignment(wrap_text=True)
    notes.append([])
    notes.append(["Sources and agreements"])
    notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
    for citation in doc.provenance.citations:
        if citation.reference:
            line = (
                f"{citation.reference} v{citation.version}: {citation.title}, provided by "
                f"{citation.provider}; legal basis {citation.legal_basis}; marking "
                f"{citation.marking}; datasets: {', '.join(citation.datasets)}; disclosure "
                f"policy: {citation.policy}"
            )
        else:
            line = (
                f"Own agency's data ({citation.provider}), not disclosure controlled: "
                + ", ".join(citation.datasets)
            )
        notes.append([neutral(line)])
        notes.cell(row=notes.max_row, column=1).alignment = Alignment(wrap_text=True)
    if doc.refused:
        notes.append([])
        notes.append(["Not included"])
        notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
        for title, reason in doc.refused:
            notes.append([neutral(f"{title}: {reason}")])

    meta = book.create_sheet("Metadata")
    meta.column_dimensions["A"].width = 26
    meta.column_dimensions["B"].width = 90
    pairs: list[tuple[str, Any]] = [
        ("Marking", doc.provenance.marking),
        ("Area", area.name),
        ("Area code", area.code),
        ("Level", area.level),
        ("Kind of area", doc.area_kind),
        ("District", doc.district_name),
        ("Made", doc.made_at.strftime("%d %B %Y %H:%M %Z")),
        ("Made by", doc.made_by),
        ("For agency", doc.provenance.agency),
        ("Purpose", doc.profile.purpose or ""),
        ("Use", doc.profile.use.value),
        ("Agreements", doc.agreements_text),
        ("Figures shown", doc.profile.n_returned - doc.profile.n_withheld),
        ("Figures withheld", doc.profile.n_withheld),
    ]
    if area.is_custom:
        pairs.append(("LSOAs in the area", ", ".join(area.members)))
    for key, value in pairs:
        meta.append([key, neutral(value)])
        meta.cell(row=meta.max_row, column=1).font = Font(bold=True)
        meta.cell(row=meta.max_row, column=2).alignment = Alignment(wrap_text=True)

    book.properties.title = f"Profile of {area.name}"
    book.properties.creator = "Common Ground"
    book.properties.keywords = doc.provenance.marking
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
