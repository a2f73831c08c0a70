"""PDF of a profile (WeasyPrint): the locator map, the charts and the tables, with the
marking at the top of every page and a footer naming the agreements, the date, the
user's agency and the marking (issue #8). Drawn from the same document as the page.

The renderer fetches nothing: charts come from memory (`chart:N`, see
portal.templatetags.profile_charts) and any other address is refused, so nothing in a
profile (an area's or a custom area's name included) can make it read a file or call
another server.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from portal.exports.document import ProfileDocument
from portal.templatetags.profile_charts import CHART_SCHEME


@lru_cache(maxsize=1)
def _stylesheet() -> Any:
    from weasyprint import CSS

    path = finders.find("portal/profile-print.css")
    if not path:
        raise FileNotFoundError("static/portal/profile-print.css is missing")
    return CSS(filename=str(path))


def _fetcher(charts: dict[str, bytes]) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ChartsOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith(CHART_SCHEME) and url in charts:
                return URLFetcherResponse(
                    url, charts[url], headers={"Content-Type": "image/svg+xml"}
                )
            raise ValueError(f"a profile PDF fetches nothing from outside: {url[:40]}")

    return ChartsOnly()


def render_pdf(doc: ProfileDocument) -> bytes:
    from weasyprint import HTML

    charts: dict[str, bytes] = {}
    html = render_to_string("portal/exports/profile_pdf.html", {"doc": doc, "charts": charts})
    document = HTML(string=html, base_url=f"{CHART_SCHEME}/", url_fetcher=_fetcher(charts))
    return bytes(document.write_pdf(stylesheets=[_stylesheet()]))
