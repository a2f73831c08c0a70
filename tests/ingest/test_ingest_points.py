"""Incident points are counted per area by a spatial join; points outside every area are
reported, not dropped silently; only counts are stored."""

from __future__ import annotations

import geopandas as gpd
import pytest
from django.contrib.gis.geos import Point
from shapely.geometry import Point as ShapelyPoint

from ingest.pipeline.run import Options, run
from layers.models import Area, Release
from tests.ingest.conftest import values_of

pytestmark = pytest.mark.django_db


def inside(code: str, srid: int = 27700) -> tuple[float, float]:
    point = Area.objects.get(level__slug="lsoa11", gss_code=code).geom_27700.point_on_surface
    if srid != 27700:
        point = point.transform(srid, clone=True)
    return point.x, point.y


def test_points_with_easting_northing_become_counts(crime, tmp_path):
    (x1, y1), (x2, y2) = inside("E01013600"), inside("E01013601")
    text = "Easting,Northing,Offence,Month\n" + "".join(
        [
            f"{x1},{y1},burglary,2024-03\n",
            f"{x1 + 0.5},{y1},burglary,2024-03\n",
            f"{x2},{y2},burglary,2024-03\n",
            f"{x2},{y2},all-crime,2024-04\n",
            "100,100,burglary,2024-03\n",
        ]
    )  # in the sea off Cornwall
    path = tmp_path / "incidents.csv"
    path.write_text(text)
    result = run(path, crime, commit=True)
    assert result.ok, result.render()
    release = Release.objects.get(dataset=crime, status="published")
    assert values_of(release) == {
        ("burglary", "2024-03", "E01013600"): 2.0,
        ("burglary", "2024-03", "E01013601"): 1.0,
        ("all-crime", "2024-04", "E01013601"): 1.0,
    }
    assert any(
        "1 point(s) fall in no lsoa11 area and were not counted (rows 6)" in w
        for w in result.warnings
    )


def test_points_with_longitude_latitude_and_an_indicator_option(crime, tmp_path):
    lon, lat = inside("E01013600", 4326)
    path = tmp_path / "lonlat.csv"
    path.write_text(f"longitude,latitude\n{lon},{lat}\n{lon},{lat}\n")
    result = run(path, crime, commit=True, options=Options(indicator="all-crime", period="2024"))
    assert result.ok, result.render()
    assert values_of(Release.objects.get(dataset=crime, status="published")) == {
        ("all-crime", "2024", "E01013600"): 2.0
    }


def test_points_from_a_geojson_file(crime, tmp_path):
    x, y = inside("E01013602")
    frame = gpd.GeoDataFrame(
        {"indicator": ["burglary"] * 3, "period": ["2024-Q1"] * 3},
        geometry=[ShapelyPoint(x, y)] * 3,
        crs=27700,
    ).to_crs(4326)
    path = tmp_path / "points.geojson"
    frame.to_file(path, driver="GeoJSON")
    result = run(path, crime, commit=True)
    assert result.ok, result.render()
    assert values_of(Release.objects.get(dataset=crime, status="published")) == {
        ("burglary", "2024-Q1", "E01013602"): 3.0
    }


def test_a_point_on_a_shared_boundary_is_counted_once(crime, tmp_path):
    area = Area.objects.get(level__slug="lsoa11", gss_code="E01013600").geom_27700
    lsoas = Area.objects.filter(level__slug="lsoa11")
    point = next(
        Point(x, y, srid=27700)
        for x, y in area[0].exterior_ring.coords
        if lsoas.filter(geom_27700__intersects=Point(x, y, srid=27700)).count() >= 2
    )
    path = tmp_path / "edge.csv"
    path.write_text(f"easting,northing\n{point.x},{point.y}\n")
    result = run(path, crime, commit=True, options=Options(indicator="burglary", period="2024"))
    assert result.ok, result.render()
    counts = values_of(Release.objects.get(dataset=crime, status="published"))
    assert sum(counts.values()) == 1.0


def test_points_reject_bad_rows_with_row_and_column(crime, tmp_path):
    x, y = inside("E01013600")
    path = tmp_path / "bad.csv"
    path.write_text(
        f"easting,northing,indicator,period\n{x},north,burglary,2024\n"
        f"{x},{y},robbery,2024\n{x},{y},burglary,someday\n"
    )
    result = run(path, crime, commit=True)
    assert not result.ok
    listed = [str(p) for p in result.problems]
    assert "row 2, column northing, value 'north': coordinate is not a number" in listed
    assert any(p.startswith("row 3, value 'robbery': unknown indicator") for p in listed)
    assert any(p.startswith("row 4, value 'someday': period not understood") for p in listed)
    assert not Release.objects.filter(dataset=crime, status="published").exists()


def incidents(*where: tuple[float, float], offence: str = "burglary") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"offence": [offence] * len(where), "month": ["2024-05"] * len(where)},
        geometry=[ShapelyPoint(x, y) for x, y in where],
        crs=27700,
    )


def test_points_from_a_geopackage_are_counted_and_outside_points_reported(crime, tmp_path):
    (x1, y1), (x2, y2) = inside("E01013600"), inside("E01013601")
    frame = incidents((x1, y1), (x2, y2), (x1 + 0.5, y1), (100, 100), (x1, y1 + 0.5))
    path = tmp_path / "incidents.gpkg"
    frame.to_file(path, driver="GPKG", layer="incidents")
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    result = run(path, crime, commit=True)
    assert result.ok, result.render()
    release = Release.objects.get(dataset=crime, status="published")
    assert release.file_format == "gpkg"
    assert values_of(release) == {
        ("burglary", "2024-05", "E01013600"): 3.0,
        ("burglary", "2024-05", "E01013601"): 1.0,
    }
    assert release.n_values == 2  # counts only: no point is stored
    assert any(
        "1 point(s) fall in no lsoa11 area and were not counted (features 4)" in w
        for w in result.warnings
    ), result.warnings


def test_points_from_a_zipped_shapefile(crime, tmp_path):
    import zipfile

    x, y = inside("E01013602")
    folder = tmp_path / "shape"
    folder.mkdir()
    incidents((x, y), (x, y), offence="all-crime").to_file(folder / "incidents.shp")
    path = tmp_path / "incidents.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    result = run(path, crime, commit=True)
    assert result.ok, result.render()
    release = Release.objects.get(dataset=crime, status="published")
    assert release.file_format == "shp-zip"
    assert values_of(release) == {("all-crime", "2024-05", "E01013602"): 2.0}
