from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Polygon

from layers.models import Area, GeographyLevel

pytestmark = pytest.mark.django_db

HALF = 20037508.342789244
LEICESTER_Z12 = (12, 2035, 1341)  # a tile over central Leicester


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * HALF / 2**z
    return (-HALF + x * size, HALF - (y + 1) * size, -HALF + (x + 1) * size, HALF - y * size)


def tile_for(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def box(bounds, grow: float) -> Polygon:
    x0, y0, x1, y1 = bounds
    poly = Polygon.from_bbox((x0 - grow, y0 - grow, x1 + grow, y1 + grow))
    poly.srid = 3857
    return poly


def test_tile_holds_exactly_the_areas_in_it_with_code_and_name_only(client):
    z, x, y = LEICESTER_Z12
    response = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    assert list(decoded) == ["areas"]
    features = decoded["areas"]["features"]
    got = {f["properties"]["gss_code"] for f in features}
    assert all(set(f["properties"]) == {"gss_code", "name"} for f in features)
    bounds = tile_bounds(z, x, y)
    lsoa = Area.objects.filter(level__slug="lsoa11")
    must = set(
        lsoa.filter(geom_27700__intersects=box(bounds, -10)).values_list("gss_code", flat=True)
    )
    buffer = (bounds[2] - bounds[0]) * 64 / 4096
    may = set(
        lsoa.filter(geom_27700__intersects=box(bounds, buffer + 10)).values_list(
            "gss_code", flat=True
        )
    )
    assert must and must <= got <= may
    names = dict(lsoa.filter(gss_code__in=got).values_list("gss_code", "name"))
    assert all(f["properties"]["name"] == names[f["properties"]["gss_code"]] for f in features)


def test_tile_geometry_lands_where_the_area_is(client):
    z, x, y = LEICESTER_Z12
    bounds = tile_bounds(z, x, y)
    decoded = mapbox_vector_tile.decode(
        client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt").content, default_options={"y_coord_down": True}
    )
    inside = Area.objects.filter(level__slug="lsoa11", geom_27700__within=box(bounds, -50)).first()
    assert inside is not None
    feature = next(
        f for f in decoded["areas"]["features"] if f["properties"]["gss_code"] == inside.gss_code
    )
    rings = feature["geometry"]["coordinates"]
    points = [
        pt
        for ring in (
            rings
            if feature["geometry"]["type"] == "Polygon"
            else [r for poly in rings for r in poly]
        )
        for pt in ring
    ]
    unit = (bounds[2] - bounds[0]) / 4096
    xs = [bounds[0] + px * unit for px, _ in points]
    ys = [bounds[3] - py * unit for _, py in points]
    ex0, ey0, ex1, ey1 = inside.geom_27700.transform(3857, clone=True).extent
    tolerance = 4 * unit
    assert abs(min(xs) - ex0) < tolerance and abs(max(xs) - ex1) < tolerance
    assert abs(min(ys) - ey0) < tolerance and abs(max(ys) - ey1) < tolerance


def test_tile_at_low_zoom_covers_both_districts(client):
    z, x, y = tile_for(-1.5, 53.0, 6)
    decoded = mapbox_vector_tile.decode(client.get(f"/tiles/lad19/{z}/{x}/{y}.mvt").content)
    assert {f["properties"]["gss_code"] for f in decoded["areas"]["features"]} == {
        "E06000016",
        "E08000032",
    }


def test_tile_is_cacheable_for_long_on_a_versioned_url(client):
    version = GeographyLevel.objects.get(slug="lsoa11").boundary_version
    z, x, y = LEICESTER_Z12
    versioned = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt", {"v": version})
    assert "max-age=31536000" in versioned["Cache-Control"]
    assert "immutable" in versioned["Cache-Control"]
    plain = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt", {"v": "stale"})
    assert plain["Cache-Control"] == "public, max-age=300"
    assert versioned["ETag"] == plain["ETag"] and version in versioned["ETag"]


def test_tile_answers_304_to_a_matching_etag(client):
    z, x, y = LEICESTER_Z12
    first = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    again = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_empty_tile_is_204(client):
    response = client.get("/tiles/lsoa11/10/0/0.mvt")  # the Pacific
    assert response.status_code == 204 and response.content == b""


@pytest.mark.parametrize(
    "path", ["/tiles/lsoa11/21/0/0.mvt", "/tiles/lsoa11/3/8/0.mvt", "/tiles/lsoa11/3/0/8.mvt"]
)
def test_tile_out_of_range_is_400_with_a_readable_problem(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["parameter"] == "z/x/y" and "does not exist" in body["detail"]


def test_tile_of_an_unknown_level_is_400_naming_the_known_ones(client):
    response = client.get("/tiles/lsao11/12/2035/1341.mvt")
    assert response.status_code == 400
    assert "unknown level 'lsao11'" in response.json()["detail"]
    assert "lsoa11" in response.json()["detail"]


@pytest.mark.parametrize("zxy", ["-1/0/0", "12/-5/1341", "12/2035/-1"])
def test_tile_with_negative_numbers_is_400(client, zxy):
    response = client.get(f"/tiles/lsoa11/{zxy}.mvt")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_tile_refuses_post(client):
    assert client.post("/tiles/lsoa11/12/2035/1341.mvt").status_code == 405
