"""One place that maps a format to its renderer and content type."""

from __future__ import annotations

from layers.locator import Locator
from portal.exports.csv import render_csv
from portal.exports.document import ProfileDocument
from portal.exports.html import render_html
from portal.exports.pdf import render_pdf
from portal.exports.xlsx import render_xlsx

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def render_format(fmt: str, doc: ProfileDocument, shapes: Locator | None = None) -> bytes:
    """The document in one format (`shapes`: lon/lat outlines, for the HTML map)."""
    if fmt == "pdf":
        return render_pdf(doc)
    if fmt == "xlsx":
        return render_xlsx(doc)
    if fmt == "csv":
        return render_csv(doc).encode("utf-8")
    if fmt == "html":
        if shapes is None:
            raise ValueError("the HTML export needs the area's outlines in lon/lat")
        return render_html(doc, shapes).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}")
