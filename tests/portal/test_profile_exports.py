"""The profile page and its exports (issue #8 "Done when"): each format for a real demo
LSOA and a custom area, read back (PDF text, XLSX opened, CSV parsed, HTML parsed): the
figures equal the values endpoint's, the withheld ones are [c], the footer names the
agreement on every page, one audit event per export; and an export whose agreement lacks
`export` is refused. A PDF page goes to test-artifacts/ as a PNG for a person to look at.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from layers.geography import custom_area_code, save_custom_area
from layers.models import AuditEvent, GeographyLevel
from tests.builders import make_member, publish_crime, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"
INDICATORS = ("burglary", "burglary-rate", "secured-pct", "risk-score")
NAMES = {
    "burglary": "Burglary",
    "burglary-rate": "Burglary Rate",
    "secured-pct": "Secured Pct",
    "risk-score": "Risk Score",
}


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    parties["manager"] = make_member("nm", parties["council"], "neighbourhood_manager")
    codes = sorted(parties["counts"])
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    parties["shown_code"] = codes[0]
    whole = save_custom_area(
        owner=parties["council"], name="Four shown LSOAs", base_level=lsoa, codes=codes[:4]
    )
    holed = save_custom_area(
        owner=parties["council"],
        name="Around the withheld one",
        base_level=lsoa,
        codes=[parties["secret_code"], *codes[20:23]],
    )
    parties["custom"] = whole
    parties["custom_code"] = custom_area_code(whole)
    parties["holed_code"] = custom_area_code(holed)
    return parties


def session(user) -> Client:
    client = sign_in(Client(), user)
    s = client.session
    s["purpose"] = PURPOSE
    s.save()
    return client


def page_url(code: str, level: str = "lsoa11") -> str:
    if code.startswith("custom-"):
        return f"/profiles/custom/{code.removeprefix('custom-')}/"
    return f"/profiles/{level}/{code}/"


def export(client: Client, code: str, fmt: str, level: str = "lsoa11"):
    return client.post(page_url(code, level) + "export/", {"format": fmt})


def endpoint_values(client: Client, code: str, level: str = "lsoa11") -> dict[str, Any]:
    """indicator -> (latest period, the values endpoint's figure, marker) for the area."""
    out = {}
    for slug in INDICATORS if level != "custom" else ("burglary",):
        body = client.get(
            f"/api/v1/indicators/{slug}/values/", {"level": level, "purpose": PURPOSE}
        ).json()
        (row,) = [r for r in body["values"] if r["area_code"] == code]
        out[slug] = (body["period"]["code"], row["value"], row["marker"])
    return out


def pdf_text(content: bytes, tmp_path) -> list[str]:
    path = tmp_path / "profile.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def shown(value: float, measure: str) -> str:
    """As the PDF and page print a figure (1 decimal place for rates and percentages)."""
    if measure in ("burglary-rate", "secured-pct"):
        return f"{value:,.1f}" + ("%" if measure == "secured-pct" else "")
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))


def test_page_shows_the_profile_with_withheld_as_c_and_the_agreement(world):
    client = session(world["manager"])
    response = client.get(page_url(world["secret_code"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Burglary" in html and "[c]" in html and "ISA-2025-001 v1" in html
    assert 'class="locator"' in html and 'class="spine-bar"' in html and 'class="sparkline"' in html
    event = AuditEvent.objects.filter(action="profile.read").latest("id")
    assert (event.use, event.detail["area"]) == ("map", world["secret_code"])
    # Without a stated purpose, the page asks for one first.
    response = sign_in(Client(), world["manager"]).get(page_url(world["shown_code"]))
    assert response.status_code == 302 and response["Location"].startswith("/purpose/")


def test_csv_exports_equal_the_values_endpoint(world):
    # Each test rolls its release back, so the protected tables are computed once per
    # test: one test covers an LSOA shown, the withheld one, and two custom areas.
    client = session(world["manager"])
    for which in ("shown_code", "secret_code", "custom_code", "holed_code"):
        csv_export_equals_the_values_endpoint(client, world[which])
    code = world["shown_code"]
    rows = csv_rows(export(client, code, "csv").content.decode())
    body = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "lsoa11", "period": "2025-02", "purpose": PURPOSE},
    ).json()
    (row,) = [r for r in body["values"] if r["area_code"] == code]
    (earlier,) = [r for r in rows if r["indicator"] == "burglary" and r["period"] == "2025-02"]
    assert float(earlier["value"]) == row["value"] and earlier["is_latest"] == "no"


def csv_export_equals_the_values_endpoint(client: Client, code: str) -> None:
    level = "custom" if code.startswith("custom-") else "lsoa11"
    expected = endpoint_values(client, code, level)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = export(client, code, "csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="profile-{code}-')
    text = response.content.decode()
    assert text.startswith("# OFFICIAL-SENSITIVE\n") and "ISA-2025-001 v1" in text
    rows = csv_rows(text)
    for slug, (period, value, marker) in expected.items():
        (latest,) = [r for r in rows if r["indicator"] == slug and r["is_latest"] == "yes"]
        assert latest["period"] == period
        if value is None:
            assert latest["value"] == marker == "[c]" and latest["status"] == "withheld"
        else:
            assert float(latest["value"]) == pytest.approx(value)
    # One row per indicator and period, every period of the trend.
    assert sorted({(r["indicator"], r["period"]) for r in rows}) == sorted(
        (slug, p) for slug in expected for p in ("2025-02", "2025-03")
    )
    events = AuditEvent.objects.filter(id__gt=before)
    assert [e.action for e in events] == ["profile.read"], [(e.action, e.detail) for e in events]
    (event,) = events
    assert (event.action, event.use, event.detail["format"]) == ("profile.read", "export", "csv")


def test_xlsx_exports_have_data_notes_and_metadata_sheets(world):
    client = session(world["manager"])
    for which in ("secret_code", "holed_code"):
        xlsx_export_has_data_notes_and_metadata_sheets(client, world[which])
    # No text cell can become a formula (a custom area's name is anyone's to choose).
    custom = world["custom"]
    custom.name = '=HYPERLINK("http://evil.example","click")'
    custom.save()
    book = openpyxl.load_workbook(io.BytesIO(export(client, world["custom_code"], "xlsx").content))
    values = [c.value for ws in book for row in ws.iter_rows() for c in row if c.value]
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in values)
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def xlsx_export_has_data_notes_and_metadata_sheets(client: Client, code: str) -> None:
    level = "custom" if code.startswith("custom-") else "lsoa11"
    expected = endpoint_values(client, code, level)
    response = export(client, code, "xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Profile", "Trend", "Notes", "Metadata"]
    sheet = book["Profile"]
    assert sheet["A1"].value == "OFFICIAL-SENSITIVE"
    header = [c.value for c in sheet[4]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(5)]
    by_name = {r["Indicator"]: r for r in rows}
    for slug, (period, value, _) in expected.items():
        row = by_name[NAMES[slug]]
        assert row["Period"] == period
        if value is None:
            assert row["Value"] == "[c]"
        else:
            assert row["Value"] == pytest.approx(value)
    assert by_name["Burglary"]["Agreement"] == "ISA-2025-001 v1"
    notes = " ".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value)
    assert "[c] Withheld" in notes and "ISA-2025-001 v1" in notes and "rounded" in notes
    meta = {r[0].value: r[1].value for r in book["Metadata"].iter_rows() if r[0].value}
    assert meta["Area code"] == code and meta["Marking"] == "OFFICIAL-SENSITIVE"
    assert (
        meta["For agency"] == "City Council"
        and meta["Agreements"] == "Shared under ISA-2025-001 v1"
    )


def test_pdf_exports_figures_and_footer_on_every_page_and_a_png_to_look_at(
    world, tmp_path, artifacts
):
    client = session(world["manager"])
    for which in ("secret_code", "custom_code"):
        pdf_export_checks(client, world[which], tmp_path, artifacts)


def pdf_export_checks(client: Client, code: str, tmp_path, artifacts) -> None:
    level = "custom" if code.startswith("custom-") else "lsoa11"
    expected = endpoint_values(client, code, level)
    response = export(client, code, "pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content, tmp_path)
    assert len(pages) >= (2 if level == "lsoa11" else 1)  # "every page" means several
    today = timezone.localdate().strftime("%-d %B %Y")
    for page in pages:
        flat = " ".join(page.split())
        # The marking heads every page; the footer names the agreement, date and agency.
        assert flat.startswith("OFFICIAL-SENSITIVE"), flat[:200]
        assert "Shared under ISA-2025-001 v1" in flat, flat[-400:]
        assert today in flat and "City Council" in flat
    text = "\n".join(pages)
    (artifacts / f"profile-{level}.txt").write_text(text)
    for slug, (period, value, _) in expected.items():
        name = NAMES[slug]
        start = re.compile(rf"^\s*{re.escape(name)}(?:\s{{2,}}| \()")
        # The table row: the period and figures are on the first line of the name, or on
        # the next when a long name wraps (the spine chart further down has no period).
        lines = text.splitlines()
        first = next(
            i
            for i, line in enumerate(lines)
            if start.match(line) and any(period in x for x in lines[i : i + 2])
        )
        row = next(x for x in lines[first : first + 2] if period in x)
        cells = re.split(r"\s{2,}", row.strip())
        assert period in cells, (slug, cells)
        got = cells[cells.index(period) + 1]
        assert got == ("[c]" if value is None else shown(value, slug)), (slug, cells)
    assert "Where the figures come from" in text and "Disclosure policy" in text
    png = artifacts / f"profile-{level}-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", "-", str(png)],
        input=response.content,
        check=True,
    )
    assert (artifacts / f"profile-{level}-page1.png").stat().st_size > 20_000


def test_html_export_is_self_contained_with_the_figures(world):
    client = session(world["manager"])
    code = world["secret_code"]
    response = export(client, code, "html")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.html"')
    html = response.content.decode()
    # No script or stylesheet from anywhere: Leaflet is inlined from the npm package.
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    assert "cdn." not in html and "unpkg" not in html and "code.jquery" not in html
    assert "L.map(" in html and "Leaflet" in html and "folium-map" in html
    assert "OFFICIAL-SENSITIVE" in html and "ISA-2025-001 v1" in html and "[c]" in html


def test_export_refused_when_the_agreement_does_not_include_export(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties(uses=["map", "api"])
    parties.update(publish_crime(parties, tmp_path))
    manager = make_member("nm", parties["council"], "neighbourhood_manager")
    client = session(manager)
    code = sorted(parties["counts"])[0]
    assert client.get(page_url(code)).status_code == 200  # viewing is a map use: allowed
    for fmt in ("pdf", "xlsx", "csv", "html"):
        response = export(client, code, fmt)
        assert response.status_code == 403, fmt
        assert response["Content-Type"].startswith("text/html")
        assert "does not allow this use" in response.content.decode()
        event = AuditEvent.objects.latest("id")
        assert (event.action, event.outcome, event.use) == (
            "access.refused",
            "nothing_permitted",
            "export",
        )
        assert event.detail["refused"] == {"recorded-crime": "use_not_permitted"}


def test_another_agencys_custom_area_is_not_found_and_exports_need_a_format_and_a_post(world):
    police = make_member("paul", world["police"], "analyst")
    outsider = session(police)
    assert outsider.get(page_url(world["custom_code"])).status_code == 404
    assert export(outsider, world["custom_code"], "csv").status_code == 404
    client = session(world["manager"])
    assert export(client, world["shown_code"], "docx").status_code == 400
    assert client.get(page_url(world["shown_code"]) + "export/").status_code == 405


def test_a_hostile_custom_area_name_stays_text_in_the_html_and_one_line_in_the_csv(world):
    custom = world["custom"]
    custom.name = "Ours\nE01000001,x,lsoa11"
    custom.save()
    client = session(world["manager"])
    text = export(client, world["custom_code"], "csv").content.decode()
    lines = text.splitlines()
    header = lines.index(next(x for x in lines if x.startswith("area_code,")))
    assert all(x.startswith("# ") for x in lines[:header])  # comments stay comments
    assert "# Profile of Ours E01000001,x,lsoa11 (" in text
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[header:]))))
    assert {r["area_name"] for r in rows} == {"Ours\nE01000001,x,lsoa11"}  # quoted, one row each
    custom.name = '<img src=x onerror="alert(1)">'
    custom.save()
    html = export(client, world["custom_code"], "html").content.decode()
    # Not as markup anywhere: the page escapes it, and the map's tooltip (which folium
    # writes with innerHTML) gets it escaped too.
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html
    assert "\\u0026lt;img src=x" in html or "&amp;lt;img src=x" in html
