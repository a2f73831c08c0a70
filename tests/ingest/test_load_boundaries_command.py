from __future__ import annotations

import json
import zipfile
from io import StringIO
from pathlib import Path

import geopandas as gpd
import pytest
from django.core.management import CommandError, call_command

from layers.models import Area, AreaShape, CustomArea, GeographyLevel
from tests.builders import make_agency

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("leicester", "lsoa11"): 192,
    ("bradford", "lsoa11"): 310,
    ("leicester", "msoa11"): 37,
    ("bradford", "msoa11"): 61,
    ("leicester", "wards13"): 22,
    ("bradford", "wards13"): 30,
}


def run(*args, **options) -> str:
    out = StringIO()
    call_command("load_boundaries", *map(str, args), stdout=out, **options)
    return out.getvalue()


def codes(level: str) -> set[str]:
    return set(Area.objects.filter(level__slug=level).values_list("gss_code", flat=True))


def geojson_with(tmp_path: Path, source: Path, edit) -> Path:
    data = json.loads(source.read_text(encoding="utf-8-sig"))
    edit(data["features"])
    path = tmp_path / f"edited_{source.name}"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("district", "stem"), sorted(EXPECTED))
def test_load_boundaries_loads_each_real_file(shared_data, district, stem):
    level = {"lsoa11": "lsoa11", "msoa11": "msoa11", "wards13": "ward13"}[stem]
    path = shared_data / f"{district}_{stem}.geojson"
    out = run(path, level=level, merge=True, commit=True)
    expected = EXPECTED[(district, stem)]
    assert f"{expected} feature(s)" in out
    assert "stored as EPSG:27700" in out
    frame = gpd.read_file(path)
    file_codes = set(frame.iloc[:, 0])
    assert file_codes <= codes(level)
    area = Area.objects.get(level__slug=level, gss_code=sorted(file_codes)[0])
    assert area.geom_27700.srid == 27700
    # British National Grid: eastings and northings in metres, inside England.
    x, y = area.geom_27700.centroid.coords
    assert 300_000 < x < 500_000 and 200_000 < y < 500_000
    assert area.area_ha == pytest.approx(area.geom_27700.area / 10_000)
    assert AreaShape.objects.filter(area=area).count() >= 4


def test_load_boundaries_reports_repaired_geometry(shared_data):
    out = run(shared_data / "leicester_lsoa11.geojson", level="lsoa11", merge=True)
    assert "2 invalid geometries repaired" in out
    assert "Dry run: nothing written" in out


def test_load_boundaries_dry_run_writes_nothing(shared_data):
    before = GeographyLevel.objects.get(slug="msoa11").boundary_version
    Area.objects.filter(level__slug="msoa11").delete()
    run(shared_data / "leicester_msoa11.geojson", level="msoa11")
    assert codes("msoa11") == set()
    assert GeographyLevel.objects.get(slug="msoa11").boundary_version == before


def test_load_boundaries_replaces_the_level_atomically_and_keeps_ids(shared_data):
    kept = Area.objects.get(level__slug="lsoa11", gss_code="E01013600")
    run(shared_data / "leicester_lsoa11.geojson", level="lsoa11", commit=True)
    assert len(codes("lsoa11")) == 192  # Bradford's are gone: the file replaces the level
    assert Area.objects.get(level__slug="lsoa11", gss_code="E01013600").id == kept.id


def test_load_boundaries_refreshes_custom_areas_and_drops_removed_members(shared_data):
    from layers.geography import save_custom_area

    level = GeographyLevel.objects.get(slug="lsoa11")
    bradford = sorted(c for c in codes("lsoa11") if c >= "E01010000" and c < "E01013000")[:2]
    leicester = ["E01013600", "E01013601"]
    custom = save_custom_area(
        owner=make_agency(), name="Mixed", base_level=level, codes=bradford + leicester
    )
    run(shared_data / "leicester_lsoa11.geojson", level="lsoa11", commit=True)
    custom = CustomArea.objects.get(id=custom.id)
    assert sorted(custom.members.values_list("gss_code", flat=True)) == leicester
    union_ha = sum(Area.objects.get(level=level, gss_code=c).area_ha for c in leicester)
    assert custom.area_ha == pytest.approx(union_ha, rel=1e-6)


def assert_rejected(path: Path, level: str, *messages: str, **options) -> None:
    before = codes(level)
    version = GeographyLevel.objects.get(slug=level).boundary_version
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("load_boundaries", str(path), level=level, commit=True, stdout=out, **options)
    full = out.getvalue() + str(info.value)
    for message in messages:
        assert message in full, full
    assert codes(level) == before
    assert GeographyLevel.objects.get(slug=level).boundary_version == version


def test_load_boundaries_rejects_a_duplicate_code(shared_data, tmp_path):
    def edit(features):
        features[5]["properties"]["LSOA11CD"] = features[2]["properties"]["LSOA11CD"]

    path = geojson_with(tmp_path, shared_data / "leicester_lsoa11.geojson", edit)
    assert_rejected(
        path, "lsoa11", "feature 6, column LSOA11CD", "duplicate code (first on feature 3)"
    )


def test_load_boundaries_rejects_a_missing_code(shared_data, tmp_path):
    def edit(features):
        features[9]["properties"]["LSOA11CD"] = None

    path = geojson_with(tmp_path, shared_data / "leicester_lsoa11.geojson", edit)
    assert_rejected(path, "lsoa11", "feature 10, column LSOA11CD", "missing area code")


def test_load_boundaries_rejects_a_code_of_the_wrong_prefix(shared_data, tmp_path):
    def edit(features):
        features[0]["properties"]["LSOA11CD"] = "E02002829"

    path = geojson_with(tmp_path, shared_data / "leicester_lsoa11.geojson", edit)
    assert_rejected(
        path,
        "lsoa11",
        "feature 1, column LSOA11CD, value 'E02002829'",
        "not a lsoa11 code",
        "starting E01 or W01",
    )


def test_load_boundaries_rejects_msoa_file_loaded_as_lsoa(shared_data):
    assert_rejected(
        shared_data / "leicester_msoa11.geojson",
        "lsoa11",
        "not a lsoa11 code",
        code_field="MSOA11CD",
        name_field="MSOA11NM",
    )


def test_load_boundaries_rejects_an_unreadable_file(tmp_path):
    path = tmp_path / "boundaries.geojson"
    path.write_text("this is not GeoJSON {")
    assert_rejected(path, "lsoa11", "boundaries.geojson: not a readable GeoJSON")


def test_load_boundaries_rejects_a_missing_file(tmp_path):
    assert_rejected(tmp_path / "nope.gpkg", "lsoa11", "no such file")


def test_load_boundaries_rejects_a_file_in_an_unexpected_crs(shared_data, tmp_path):
    # British National Grid coordinates in a file that says it is lon/lat.
    frame = gpd.read_file(shared_data / "leicester_lsoa11.geojson").to_crs(27700)
    frame = frame.set_crs(4326, allow_override=True)
    path = tmp_path / "wrong_crs.gpkg"
    frame.to_file(path, driver="GPKG")
    assert_rejected(
        path,
        "lsoa11",
        "do not fall in Great Britain when read as EPSG:4326",
        "coordinate reference system is wrong",
    )


def test_load_boundaries_rejects_a_shapefile_without_crs_unless_given(shared_data, tmp_path):
    frame = gpd.read_file(shared_data / "leicester_lsoa11.geojson").to_crs(27700)
    shp = tmp_path / "lsoa.shp"
    frame.to_file(shp)
    shp.with_suffix(".prj").unlink()
    assert_rejected(shp, "lsoa11", "does not say its coordinate reference system")
    out = run(shp, level="lsoa11", crs="EPSG:27700")
    assert "192 feature(s)" in out and "REJECTED" not in out


def test_load_boundaries_reads_a_zipped_shapefile_and_a_geopackage(shared_data, tmp_path):
    frame = gpd.read_file(shared_data / "leicester_msoa11.geojson").to_crs(27700)
    frame.to_file(tmp_path / "msoa.shp")
    archive = tmp_path / "msoa.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("msoa.*"):
            if part != archive:
                zf.write(part, part.name)
    assert "37 feature(s)" in run(archive, level="msoa11", merge=True, commit=True)
    frame.to_file(tmp_path / "msoa.gpkg", driver="GPKG")
    assert "read as EPSG:27700" in run(tmp_path / "msoa.gpkg", level="msoa11", merge=True)


def test_load_boundaries_rejects_an_unknown_level(shared_data):
    with pytest.raises(CommandError, match="unknown level 'lsao11'; known levels: lad19"):
        run(shared_data / "leicester_lsoa11.geojson", level="lsao11")
