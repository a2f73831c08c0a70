from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="map-config" type="application/json">') + 48
    return json.loads(html[start : html.index("</script>", start)])


def test_map_page_offers_every_loaded_level_fine_to_coarse(client):
    response = client.get("/")
    assert response.status_code == 200
    levels = [lv["slug"] for lv in config(response)["levels"]]
    assert levels == ["lsoa11", "msoa11", "ward13", "lad19"]


def test_map_page_keeps_the_chosen_level_and_falls_back_on_an_unknown_one(client):
    assert config(client.get("/", {"level": "ward13"}))["level"] == "ward13"
    assert config(client.get("/", {"level": "nope"}))["level"] == "lsoa11"


def test_map_page_gives_each_level_its_extent_in_lon_lat(client):
    lad = next(lv for lv in config(client.get("/"))["levels"] if lv["slug"] == "lad19")
    west, south, east, north = lad["bbox_4326"]
    assert -2.1 < west < -1.5 and -1.1 < east < -0.9 and 52.5 < south < 53.0 < north < 54.0
    assert lad["n_areas"] == 2


def test_map_page_loads_no_script_from_another_origin(client):
    html = client.get("/").content.decode()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "/static/vendor/maplibre-gl/maplibre-gl.js" in html
