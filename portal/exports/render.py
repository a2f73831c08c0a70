"""One profile read, rendered in the formats asked for: what a download and the ZIP of
many profiles both do. The read is one `export` use of layers.profile (one audit event
naming the formats); each renderer only formats the document it is given."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from layers.domain.access import Use
from layers.locator import WGS84, Locator, locator
from layers.profile import ProfileArea, Provenance, area_profile, provenance
from portal.exports.csv import render_csv
from portal.exports.document import ProfileDocument, build_document
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


def export_profile(
    user: Any,
    area: ProfileArea,
    *,
    formats: list[str],
    purpose: str | None,
    made_at: datetime,
    note: dict[str, Any] | None = None,
) -> tuple[dict[str, bytes], Provenance]:
    """The area's profile as files (format -> bytes), and where its figures come from.
    Raises AccessRefused (audited) when no agreement allows exporting any of them."""
    profile = area_profile(
        user,
        area,
        use=Use.EXPORT,
        purpose=purpose,
        refuse_empty=True,
        note={"format": ",".join(formats), **(note or {})},
    )
    origin = provenance(user, profile)
    files: dict[str, bytes] = {}
    plain = build_document(profile, origin, locator=None, made_by=user, made_at=made_at)
    for fmt in formats:
        if fmt == "pdf":
            # The PDF carries the locator map as a drawing; the HTML its own live map.
            doc = build_document(
                profile, origin, locator=locator(area), made_by=user, made_at=made_at
            )
            files[fmt] = render_format(fmt, doc)
        elif fmt == "html":
            files[fmt] = render_format(fmt, plain, locator(area, srid=WGS84))
        else:
            files[fmt] = render_format(fmt, plain)
    return files, origin
