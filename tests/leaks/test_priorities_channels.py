"""The leak scenario (test_no_withheld_value_in_any_channel) through the priorities
dashboard: its page and its CSV, XLSX and PDF downloads for the withheld LSOA, every area
its figure is part of, the custom area holding it and the partnership. The figure
appears nowhere, and the LSOA's and custom area's own figures are [c]."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import openpyxl
import pytest
from django.test import Client

from layers.models import Indicator, Priority
from tests.leaks.test_no_withheld_value_in_any_channel import (  # noqa: F401 (fixture)
    INDICATORS,
    PURPOSE,
    SECRET,
    assert_clean,
    assert_no_secret_number,
    scenario,
)
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def test_priorities_page_and_every_download(scenario, tmp_path):  # noqa: F811 (the fixture)
    for order, slug in enumerate(INDICATORS, start=1):
        Priority.objects.create(
            slug=f"p-{slug}",
            title=f"Priority {order}",
            indicator=Indicator.objects.get(slug=slug),
            display_order=order,
        )
    browser = sign_in(Client(), scenario["council_analyst"])
    session = browser.session
    session["purpose"] = PURPOSE["purpose"]
    session.save()
    code, parents = scenario["secret_code"], scenario["parents"]
    keys = [
        f"lsoa11:{code}",
        f"msoa11:{parents['msoa11']}",
        f"ward13:{parents['ward13']}",
        f"lad19:{parents['lad19']}",
        f"custom:{scenario['custom_code']}",
        "partnership",
    ]
    for key in keys:
        page = browser.get("/priorities/", {"area": key})
        assert page.status_code == 200, key
        html = page.content.decode()
        table = html[html.index('id="priorities-table"') : html.index("</table>")]
        assert_no_secret_number(re.sub(r"<[^>]+>", " ", table), where=f"page {key}")
        own = key.startswith(("lsoa11:", "custom:"))
        if own:
            assert "[c]" in table
        for fmt in ("csv", "xlsx", "pdf"):
            where = f"{fmt} {key}"
            response = browser.post("/priorities/export/", {"area": key, "format": fmt})
            assert response.status_code == 200, where
            if fmt == "csv":
                text = response.content.decode()
                assert_clean(text, where=where)
                rows = list(csv.DictReader(x for x in io.StringIO(text) if x[0] != "#"))
                numbers = {
                    float(v) for r in rows for v in r.values() if re.fullmatch(r"-?[\d.]+", v)
                }
                assert float(SECRET) not in numbers, where
                if own:
                    assert {r["value"] for r in rows if r["shared"] == "yes"} <= {"[c]", ""}
            elif fmt == "xlsx":
                book = openpyxl.load_workbook(io.BytesIO(response.content))
                cells = [c.value for ws in book for r in ws.iter_rows() for c in r if c.value]
                assert float(SECRET) not in {
                    float(v) for v in cells if isinstance(v, int | float)
                }, where
                for text in (v for v in cells if isinstance(v, str)):
                    assert_clean(text, where=where)
            else:
                path = tmp_path / "priorities.pdf"
                path.write_bytes(response.content)
                text = subprocess.run(
                    ["pdftotext", "-layout", str(path), "-"],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                assert_no_secret_number(text, where=where)
