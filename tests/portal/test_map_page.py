from __future__ import annotations

import json

import pytest

from tests.builders import make_agency, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    """A member of an agency with no datasets and no agreements."""
    client.force_login(make_member("solo", make_agency(), "analyst"))
    session = client.session
    session["purpose"] = "own_agency"
    session.save()
    return client


def config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="map-config" type="application/json">') + 48
    return json.loads(html[start : html.index("</script>", start)])


def test_map_page_offers_every_loaded_level_fine_to_coarse(signed_in):
    response = signed_in.get("/")
    assert response.status_code == 200
    levels = [lv["slug"] for lv in config(response)["levels"]]
    assert levels == ["lsoa11", "msoa11", "ward13", "lad19"]


def test_map_page_offers_no_dataset_without_an_agreement_or_own_data(signed_in):
    assert config(signed_in.get("/"))["themes"] == []


def test_map_page_gives_each_level_and_district_its_extent_in_lon_lat(signed_in):
    found = config(signed_in.get("/"))
    lad = next(lv for lv in found["levels"] if lv["slug"] == "lad19")
    west, south, east, north = lad["bbox_4326"]
    assert -2.1 < west < -1.5 and -1.1 < east < -0.9 and 52.5 < south < 53.0 < north < 54.0
    assert lad["n_areas"] == 2
    assert [d["name"] for d in found["districts"]] == ["Bradford", "Leicester"]
    west, south, east, north = found["districts"][0]["bbox_4326"]
    assert -2.1 < west < east < -1.6 and 53.7 < south < north < 54.0


def test_map_page_loads_no_script_from_another_origin_and_no_inline_code(signed_in):
    html = signed_in.get("/").content.decode()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "/static/vendor/maplibre-gl/maplibre-gl-csp.js" in html
    assert "/static/vendor/colorbrewer/index.js" in html
    assert "style=" not in html and " onclick" not in html and "<style" not in html
    worker = config(signed_in.get("/"))["workerUrl"]
    assert worker == "/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js"
