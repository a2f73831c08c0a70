"""PDF of a profile (WeasyPrint): the locator map, the charts and the tables, with the
marking at the top of every page and a footer naming the agreements, the date, the
user's agency and the marking (issue #8). Drawn from the same document as the page."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from portal.exports.document import ProfileDocument


@lru_cache(maxsize=1)
def _stylesheet() -> object:
    from weasyprint import CSS

    path = finders.find("portal/profile-print.css")
    if not path:
        raise FileNotFoundError("static/portal/profile-print.css is missing")
    return CSS(filename=str(path))


def render_pdf(doc: ProfileDocument) -> bytes:
    from weasyprint import HTML

    html = render_to_string("portal/exports/profile_pdf.html", {"doc": doc})
    base = Path(__file__).resolve().parent
    return HTML(string=html, base_url=str(base)).write_pdf(stylesheets=[_stylesheet()])
