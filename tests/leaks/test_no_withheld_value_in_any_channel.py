"""One scenario, every channel (STYLE.md "Tests"): one withheld cell is driven through
every way a figure can leave the system, each output is parsed, and the cell must be
`null` with `[c]` wherever it appears while its true figure appears nowhere.

The scenario: the police's crime release, shared with the council under an agreement
whose threshold is 1,000, so the withheld count can be a distinctive SECRET (937) and
every other figure is far from it (LSOA counts are 1,000 and up). Its LSOA also carries a
rate and a percentage whose numerator is SECRET. A custom area of the council contains
the LSOA. Checks are structural (every number in a parsed body) and on the raw text
(SECRET as a whole number, not a digit run inside a longer one such as a coordinate).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest
from django.test import Client
from rest_framework.test import APIClient

from layers.geography import custom_area_code, save_custom_area
from layers.models import Area, AuditEvent, GeographyLevel, Lookup
from layers.tokens import issue_token
from tests.builders import make_member, publish_crime, three_parties

pytestmark = pytest.mark.django_db

SECRET = 937
# A figure stands alone: not inside an identifier such as a random id or a request id.
WHOLE = re.compile(rf"(?<![\w.]){SECRET}(?!\w)")
PURPOSE = {"purpose": "community_safety"}
INDICATORS = ("burglary", "burglary-rate", "secured-pct")

# The map's own endpoints (portal/pages/map.py): a signed-in browser session, not a token.
MAP_VALUES_URL = "/map/values/?indicator={indicator}&level={level}"


@pytest.fixture
def scenario(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties(min_count=1000, round_to=5)
    parties.update(publish_crime(parties, tmp_path, secret=SECRET, scale=50))
    code = parties["secret_code"]
    assert all(n >= 1000 for c, n in parties["counts"].items() if c != code)
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    others = [c for c in sorted(parties["counts"]) if c != code][:3]
    custom = save_custom_area(
        owner=parties["council"], name="Around the secret", base_level=lsoa, codes=[code, *others]
    )
    parties["custom_code"] = custom_area_code(custom)
    parties["parents"] = dict(
        Lookup.objects.filter(child_level__slug="lsoa11", child_code=code).values_list(
            "parent_level__slug", "parent_code"
        )
    )
    raw, _ = issue_token(parties["council_analyst"], days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    parties["client"] = client
    parties["fire_analyst"] = make_member("fred", parties["fire"], "analyst")
    return parties


def numbers(node: Any) -> Iterator[float]:
    """Every number anywhere in a parsed JSON body."""
    if isinstance(node, bool):
        return
    if isinstance(node, int | float):
        yield float(node)
    elif isinstance(node, dict):
        for value in node.values():
            yield from numbers(value)
    elif isinstance(node, list):
        for value in node:
            yield from numbers(value)


def assert_clean(text: str, parsed: Any = None, *, where: str) -> None:
    assert not WHOLE.search(text), f"{where}: {SECRET} appears in the raw output"
    if parsed is not None:
        assert float(SECRET) not in set(numbers(parsed)), f"{where}: {SECRET} as a number"


def assert_withheld(row: dict[str, Any], *, where: str) -> None:
    assert (row["value"], row["status"], row["marker"]) == (None, "withheld", "[c]"), where


def test_api_json_csv_and_geojson_at_every_level(scenario):
    client, code = scenario["client"], scenario["secret_code"]
    for indicator in INDICATORS:
        url = f"/api/v1/indicators/{indicator}/values/"
        for level in ("lsoa11", "msoa11", "lad19", "ward13"):
            if indicator != "burglary" and level == "ward13":
                continue  # rates are not given for wards (a 400, checked with the errors)
            query = {**PURPOSE, "level": level}
            where = f"{indicator} {level}"
            body = client.get(url, query)
            assert body.status_code == 200, (where, body.content)
            parsed = body.json()
            assert_clean(body.content.decode(), parsed, where=where)
            if level == "lsoa11":
                rows = {r["area_code"]: r for r in parsed["values"]}
                assert_withheld(rows[code], where=where)

                text = client.get(url, {**query, "format": "csv"}).content.decode()
                assert_clean(text, where=f"{where} csv")
                table = csv.DictReader(line for line in io.StringIO(text) if line[0] != "#")
                (row,) = [r for r in table if r["area_code"] == code]
                assert row["value"] == "[c]" and row["status"] == "withheld"

                geo = client.get(url, {**query, "format": "geojson", "within": code})
                geo_parsed = geo.json()
                assert_clean(geo.content.decode(), geo_parsed["metadata"], where=f"{where} geo")
                (feature,) = geo_parsed["features"]
                assert_withheld(feature["properties"], where=f"{where} geojson")
                assert float(SECRET) not in set(numbers(feature["properties"]))


def test_profile_of_the_area_and_of_every_area_around_it(scenario):
    client, code = scenario["client"], scenario["secret_code"]
    parents = scenario["parents"]
    for area in (code, parents["msoa11"], parents["ward13"], parents["lad19"]):
        response = client.get(f"/api/v1/areas/{area}/profile/", PURPOSE)
        assert response.status_code == 200, (area, response.content)
        body = response.json()
        assert_clean(response.content.decode(), body, where=f"profile {area}")
    body = client.get(f"/api/v1/areas/{code}/profile/", PURPOSE).json()
    for item in body["indicators"]:
        slug = item["indicator"]["slug"]
        if slug in INDICATORS:
            assert_withheld(item["value"], where=f"profile {slug}")
            assert item["rank"] is None and item["interval"] is None, slug
            assert item["trend"][-1]["marker"] == "[c]", slug
    one = client.get(
        f"/api/v1/areas/{code}/profile/",
        {**PURPOSE, "indicator": "burglary", "period": "2025-02"},
    )
    assert_clean(one.content.decode(), one.json(), where="profile, one indicator")


def test_custom_area_values_and_profile(scenario):
    client, custom = scenario["client"], scenario["custom_code"]
    url = "/api/v1/indicators/burglary/values/"
    for fmt in ("json", "csv", "geojson"):
        response = client.get(url, {**PURPOSE, "level": "custom", "format": fmt})
        assert response.status_code == 200
        text = response.content.decode()
        assert_clean(text, where=f"custom {fmt}")
        if fmt == "json":
            (row,) = [r for r in response.json()["values"] if r["area_code"] == custom]
            assert (row["value"], row["marker"]) == (None, "[c]")
        if fmt == "csv":
            assert f"{custom},Around the secret,[c]," in text
    profile = client.get(f"/api/v1/areas/{custom}/profile/", PURPOSE)
    body = profile.json()
    assert_clean(profile.content.decode(), body, where="custom profile")
    assert body["indicators"][0]["value"]["marker"] == "[c]"
    listed = client.get("/api/v1/custom-areas/")
    assert_clean(listed.content.decode(), listed.json(), where="custom-areas list")


NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def assert_no_secret_number(text: str, *, where: str) -> None:
    """For formatted text (PDF, page, HTML): no number, thousands separators read, is
    SECRET. Stricter than WHOLE, which a shown 1,937 would not trip."""
    for token in NUMBER.findall(text):
        assert float(token.replace(",", "")) != SECRET, f"{where}: {SECRET} appears ({token})"


def without_drawing(html: str) -> str:
    """Markup without scripts, and each SVG chart reduced to its title (what it says in
    words, figures included): the rest of their numbers are coordinates."""
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    return re.sub(
        r"<svg\b.*?</svg>",
        lambda m: " ".join(re.findall(r"<title>(.*?)</title>", m.group(0), flags=re.S)),
        html,
        flags=re.S,
    )


def test_profile_page_and_every_export_format(scenario, tmp_path):
    """The profile page and its PDF, XLSX, CSV and HTML exports, of the area, of every
    area its figure is part of (MSOA, ward, district) and of the custom area holding it:
    the figure is nowhere, and the area's own figures are [c]."""
    import io as _io
    import subprocess

    import openpyxl
    from django.test import Client

    from tests.signin import sign_in

    browser = sign_in(Client(), scenario["council_analyst"])
    session = browser.session
    session["purpose"] = PURPOSE["purpose"]
    session.save()
    code, parents = scenario["secret_code"], scenario["parents"]
    areas = [
        ("lsoa11", code),
        ("msoa11", parents["msoa11"]),
        ("ward13", parents["ward13"]),
        ("lad19", parents["lad19"]),
        ("custom", scenario["custom_code"].removeprefix("custom-")),
    ]
    for level, area in areas:
        url = f"/profiles/{level}/{area}/"
        page = browser.get(url)
        assert page.status_code == 200, (url, page.status_code)
        assert_no_secret_number(without_drawing(page.content.decode()), where=f"page {url}")
        # Every file holds the same document as the page; the drawn formats (PDF, HTML)
        # are read for the area and its custom area, the tables for every area.
        drawn = level in ("lsoa11", "custom")
        for fmt in ("csv", "xlsx", "pdf", "html") if drawn else ("csv", "xlsx"):
            where = f"{fmt} {url}"
            response = browser.post(url + "export/", {"format": fmt})
            assert response.status_code == 200, where
            if fmt == "csv":
                text = response.content.decode()
                assert_clean(text, where=where)
                rows = list(csv.DictReader(x for x in io.StringIO(text) if x[0] != "#"))
                assert float(SECRET) not in {
                    float(v) for r in rows for v in r.values() if re.fullmatch(r"-?[\d.]+", v)
                }
                if level in ("lsoa11", "custom"):
                    for row in rows:
                        if row["indicator"] in INDICATORS and row["is_latest"] == "yes":
                            assert row["value"] == "[c]", (where, row["indicator"])
            elif fmt == "xlsx":
                book = openpyxl.load_workbook(_io.BytesIO(response.content))
                cells = [c.value for ws in book for r in ws.iter_rows() for c in r if c.value]
                assert float(SECRET) not in {
                    float(v) for v in cells if isinstance(v, int | float)
                }, where
                for text in (v for v in cells if isinstance(v, str)):
                    assert_clean(text, where=where)
            elif fmt == "pdf":
                path = tmp_path / "profile.pdf"
                path.write_bytes(response.content)
                text = subprocess.run(
                    ["pdftotext", "-layout", str(path), "-"],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                assert_no_secret_number(text, where=where)
                if level == "lsoa11":
                    assert "[c]" in text
            else:
                html = response.content.decode()
                # Leaflet's own source holds numbers; the profile is what is checked.
                body = html[html.index('<div class="export-page">') :]
                assert_no_secret_number(
                    re.sub(r"<script>.*?</script>", "", body, flags=re.S), where=where
                )


def tile_of(code: str, z: int) -> tuple[int, int]:
    point = Area.objects.get(level__slug="lsoa11", gss_code=code).geom_27700.point_on_surface
    lon, lat = point.transform(4326, clone=True).coords
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_tiles_carry_code_and_name_only(scenario):
    client = scenario["client"]
    for level in ("lsoa11", "msoa11", "ward13", "lad19"):
        for z in (8, 12):
            x, y = tile_of(scenario["secret_code"], z)
            response = client.get(f"/tiles/{level}/{z}/{x}/{y}.mvt")
            assert response.status_code == 200, (level, z)
            decoded = mapbox_vector_tile.decode(response.content)
            features = [f for layer in decoded.values() for f in layer["features"]]
            assert features, (level, z)
            for feature in features:
                assert set(feature["properties"]) == {"gss_code", "name"}, feature["properties"]
                assert not any(WHOLE.search(str(v)) for v in feature["properties"].values())


def test_map_values_endpoint(scenario):
    code = scenario["secret_code"]
    client = Client()
    client.force_login(scenario["council_analyst"])
    session = client.session
    session["purpose"] = PURPOSE["purpose"]
    session.save()
    for level in ("lsoa11", "msoa11", "ward13", "lad19"):
        url = MAP_VALUES_URL.format(indicator="burglary", level=level)
        for extra in ("", "&method=jenks&k=9", "&mode=change&base=2025-02&change=percent"):
            response = client.get(url + extra)
            assert response.status_code == 200, (level, extra, response.content)
            where = f"map values {level}{extra}"
            parsed = response.json()
            assert_clean(response.content.decode(), parsed, where=where)
            if level == "lsoa11":
                rows = {r["area_code"]: r for r in parsed["values"]}
                assert_withheld(rows[code], where=where)
                assert rows[code]["class"] is None and rows[code].get("rank") is None
        csv_text = client.get(url.replace("/map/values/", "/map/export.csv")).content.decode()
        assert_clean(csv_text, where=f"map csv {level}")
        caption = client.get(url.replace("/map/values/", "/map/export/png/"))
        assert_clean(caption.content.decode(), caption.json(), where=f"map png {level}")
    panel = client.get(f"/map/area/?indicator=burglary&level=lsoa11&code={code}")
    assert panel.status_code == 200
    assert_clean(panel.content.decode(), panel.json(), where="map area panel")
    assert panel.json()["indicators"][0]["value"]["marker"] == "[c]"
    outsider = Client()
    outsider.force_login(scenario["fire_analyst"])
    for who, url, status in (
        (outsider, MAP_VALUES_URL.format(indicator="burglary", level="lsoa11"), 403),
        (outsider, f"/map/area/?indicator=burglary&level=lsoa11&code={code}", 403),
        (client, MAP_VALUES_URL.format(indicator="burglary", level="lsoa11") + "&k=99", 400),
        (Client(), MAP_VALUES_URL.format(indicator="burglary", level="lsoa11"), 401),
    ):
        refused = who.get(url)
        assert refused.status_code == status, (url, refused.content)
        assert refused["Content-Type"] == "application/problem+json"
        assert_clean(refused.content.decode(), refused.json(), where=f"map error {url}")
    search = client.get("/map/search/", {"q": code})
    assert_clean(search.content.decode(), search.json(), where="map search")
    assert code in search.content.decode()


def test_areas_of_concern_in_the_api_the_map_overlay_and_the_page(scenario):
    """Scanning (layers/scanning.py): the withheld area is never flagged, and its figure
    appears in no answer, at any level, through any of the three surfaces."""
    code = scenario["secret_code"]
    browser = Client()
    browser.force_login(scenario["council_analyst"])
    session = browser.session
    session["purpose"] = PURPOSE["purpose"]
    session.save()
    for level in ("lsoa11", "msoa11", "ward13", "lad19"):
        query = {"level": level, **PURPOSE}
        api = scenario["client"].get("/api/v1/indicators/burglary/concerns/", query)
        overlay = browser.get("/map/concerns/", {"indicator": "burglary", "level": level})
        for where, response in ((f"api concerns {level}", api), (f"map concerns {level}", overlay)):
            assert response.status_code == 200, (where, response.content)
            body = response.json()
            assert body["scanned"] and body["tests"] == ["hot_spot"], where
            assert_clean(response.content.decode(), body, where=where)
            assert code not in {c["area_code"] for c in body["concerns"]}, where
        page = browser.get("/concerns/", {"indicator": "burglary", "level": level})
        assert page.status_code == 200
        assert_clean(page.content.decode(), where=f"concerns page {level}")
        if level == "lsoa11":
            assert code not in page.content.decode()


def test_error_bodies(scenario):
    client, code = scenario["client"], scenario["secret_code"]
    outsider = APIClient()
    outsider.credentials(
        HTTP_AUTHORIZATION=f"Token {issue_token(scenario['fire_analyst'], days=1)[0]}"
    )
    values = "/api/v1/indicators/burglary/values/"
    profile = f"/api/v1/areas/{code}/profile/"
    requests = [
        (client, values, {"level": "lsoa11", "period": "2031-01", "within": code}, 400),
        (client, values, {"level": "lsoa11", "format": "xml", "within": code}, 400),
        (client, values, {"level": "oa11", "within": code}, 400),
        (client, values, {"level": "lsoa11", "within": "E01999999"}, 400),
        (client, "/api/v1/indicators/burglary-rate/values/", {"level": "ward13"}, 400),
        (client, values, {"level": "lsoa11", "purpose": "marketing"}, 403),
        (outsider, values, {"level": "lsoa11", "within": code}, 403),
        (client, profile, {"indicator": "burglary", "period": "1999-01"}, 400),
        (outsider, profile, {"indicator": "burglary"}, 403),
        (client, "/api/v1/areas/E01999999/profile/", {}, 404),
        (client, "/api/v1/custom-areas/custom-nothere/", {}, 404),
        (APIClient(), values, {"level": "lsoa11"}, 401),
    ]
    for who, url, query, status in requests:
        response = who.get(url, {**PURPOSE, **query})
        assert response.status_code == status, (url, query, response.content)
        assert response["Content-Type"] == "application/problem+json", (url, query)
        assert_clean(response.content.decode(), response.json(), where=f"{url} {query}")
    bad = client.post(
        "/api/v1/custom-areas/",
        {"name": "x", "codes": [code, code, "E01999999"]},
        format="json",
    )
    assert bad.status_code == 400
    assert_clean(bad.content.decode(), bad.json(), where="custom-area definition error")


def test_audit_trail_records_no_figure(scenario):
    client, code = scenario["client"], scenario["secret_code"]
    client.get("/api/v1/indicators/burglary/values/", {**PURPOSE, "level": "lsoa11"})
    client.get(f"/api/v1/areas/{code}/profile/", PURPOSE)
    events = list(AuditEvent.objects.values("detail", "outcome", "n_returned", "n_withheld"))
    assert len(events) >= 2
    for event in events:
        assert_clean(json.dumps(event["detail"]), event["detail"], where="audit detail")
