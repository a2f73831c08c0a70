"""The priorities page and its CSV/XLSX downloads: figures equal the read path's,
withheld figures are [c], priorities not shared carry no figure, text cells cannot run
as formulas, each download is one audited `export` read, refused when no agreement
allows exporting."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client

from layers.domain.access import Use
from layers.models import Area, AuditEvent, Indicator, Priority
from layers.read import read_values
from tests.builders import SECRET, make_member, publish_crime, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"
EVIL = '=HYPERLINK("http://example.invalid","x")'


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    parties["fire_analyst"] = make_member("fred", parties["fire"], "analyst")
    Priority.objects.create(
        slug="reduce-burglary",
        title=EVIL,
        indicator=Indicator.objects.get(slug="burglary"),
        display_order=1,
    )
    Priority.objects.create(
        slug="secure-homes",
        title="Secure more homes",
        indicator=Indicator.objects.get(slug="secured-pct"),
        display_order=2,
    )
    parties["district"] = (
        Area.objects.filter(level__slug="lad19").order_by("gss_code").first().gss_code
    )
    return parties


def session(user) -> Client:
    client = sign_in(Client(), user)
    s = client.session
    s["purpose"] = PURPOSE
    s.save()
    return client


def released(user, indicator: str, level: str, code: str):
    table = read_values(user, indicator=indicator, level=level, use=Use.API, purpose=PURPOSE)
    return next(r for r in table.rows if r.area_code == code)


def test_page_needs_a_sign_in_and_a_purpose(world):
    assert Client().get("/priorities/").status_code == 302
    client = sign_in(Client(), world["council_analyst"])
    response = client.get("/priorities/")
    assert response.status_code == 302 and "/purpose/" in response["Location"]


def test_page_shows_the_read_paths_figures_and_withheld_as_c(world):
    user = world["council_analyst"]
    client = session(user)
    district = world["district"]
    response = client.get("/priorities/", {"area": f"lad19:{district}"})
    assert response.status_code == 200
    html = response.content.decode()
    figure = released(user, "burglary", "lad19", district)
    assert f"{int(figure.value):,}" in html
    assert "Secure more homes" in html and "Priorities" in html
    # The LSOA holding the secret: [c], never the number, for the recipient.
    secret = world["secret_code"]
    html = client.get("/priorities/", {"area": f"lsoa11:{secret}"}).content.decode()
    table = html.split('id="priorities-table"')[1].split("</table>")[0]
    assert table.count("[c]") == 2  # both priorities' figures are withheld there
    assert not re.search(rf"(?<![\d.,-]){SECRET}(?![\d.,])", table)
    assert client.get("/priorities/", {"area": "lad19:E00000000"}).status_code == 404


def test_page_lists_unshared_priorities_without_figures(world):
    client = session(world["fire_analyst"])
    html = client.get("/priorities/", {"area": f"lad19:{world['district']}"}).content.decode()
    table = html.split('id="priorities-table"')[1].split("</table>")[0]
    assert table.count("Not shared with you") == 2
    figure = released(world["council_analyst"], "burglary", "lad19", world["district"])
    assert f"{int(figure.value):,}" not in table and 'class="value' not in table


def test_csv_export_is_the_dashboard_neutralised_and_audited(world):
    user = world["council_analyst"]
    district = world["district"]
    response = session(user).post(
        "/priorities/export/", {"area": f"lad19:{district}", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="priorities-')
    text = response.content.decode()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments[0] == "# OFFICIAL-SENSITIVE"
    assert any("Shared under ISA-" in line for line in comments)
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    burglary = next(r for r in rows if r["priority"] == "reduce-burglary")
    assert burglary["priority_title"] == "'" + EVIL  # a spreadsheet shows it, never runs it
    figure = released(user, "burglary", "lad19", district)
    assert float(burglary["value"]) == figure.value and burglary["period"] == "2025-03"
    assert burglary["shared"] == "yes" and burglary["agreement"].startswith("ISA-")
    event = AuditEvent.objects.filter(action="priorities.read").latest("id")
    assert (event.use, event.detail["format"], event.username) == ("export", "csv", "ana")


def test_xlsx_export_holds_the_same_figures_and_no_formula(world):
    user = world["council_analyst"]
    secret = world["secret_code"]
    response = session(user).post(
        "/priorities/export/", {"area": f"lsoa11:{secret}", "format": "xlsx"}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Priorities"]
    assert sheet["A1"].value == "OFFICIAL-SENSITIVE"
    header = [c.value for c in sheet[5]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(6)]
    burglary = next(r for r in rows if r["priority"] == "reduce-burglary")
    assert burglary["value"] == "[c]" and burglary["status"] == "withheld"
    assert burglary["priority_title"] == "'" + EVIL
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            assert cell.value != SECRET
    notes = " ".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value)
    assert "ISA-" in notes and "Disclosure policy" in notes


def test_export_is_refused_when_nothing_may_be_exported(world):
    response = session(world["fire_analyst"]).post(
        "/priorities/export/", {"area": "partnership", "format": "csv"}
    )
    assert response.status_code == 403
    assert (
        session(world["council_analyst"])
        .post("/priorities/export/", {"area": "partnership", "format": "exe"})
        .status_code
        == 400
    )


def test_pdf_export_carries_the_marking_agreement_and_withheld_markers(world, tmp_path):
    from tests.portal.test_profile_exports import pdf_text

    user = world["council_analyst"]
    response = session(user).post(
        "/priorities/export/", {"area": f"lsoa11:{world['secret_code']}", "format": "pdf"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content, tmp_path)
    assert all("OFFICIAL-SENSITIVE" in page and "ISA-" in page for page in pages)
    text = " ".join(pages)
    assert "[c]" in text and "Secure more homes" in text
    event = AuditEvent.objects.filter(action="priorities.read").latest("id")
    assert (event.use, event.detail["format"]) == ("export", "pdf")
