"""The boundary tile cache: hits give the bytes a render gives, a new boundary version
never serves old tiles, warming renders a level ahead of the first view."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from layers import tilecache
from layers.models import GeographyLevel
from layers.tiles import tiles_covering, warm_after_load, warm_level

pytestmark = pytest.mark.django_db

LEICESTER_Z12 = (12, 2035, 1341)
SEA_Z12 = (12, 2000, 1200)  # the North Sea: no LSOA there


def test_second_request_is_a_cache_hit_with_identical_bytes(client, settings):
    z, x, y = LEICESTER_Z12
    first = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    second = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    assert first.status_code == second.status_code == 200
    assert (first["X-Tile-Cache"], second["X-Tile-Cache"]) == ("miss", "hit")
    assert first.content == second.content and len(first.content) > 100
    assert first["ETag"] == second["ETag"]
    version = GeographyLevel.objects.get(slug="lsoa11").boundary_version
    kept = Path(settings.TILE_CACHE_DIR) / "lsoa11" / version / str(z) / str(x) / f"{y}.mvt"
    assert kept.read_bytes() == first.content


def test_empty_tile_is_cached_and_still_a_204(client):
    z, x, y = SEA_Z12
    first = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    second = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    assert first.status_code == second.status_code == 204
    assert second["X-Tile-Cache"] == "hit"


def test_a_new_boundary_version_never_serves_the_old_tiles(client):
    z, x, y = LEICESTER_Z12
    level = GeographyLevel.objects.get(slug="lsoa11")
    # A tile kept under the current version, then the boundaries change version (as a
    # load does): the old bytes must not come back.
    tilecache.put("lsoa11", level.boundary_version, z, x, y, b"old boundaries")
    assert client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt").content == b"old boundaries"
    level.boundary_version = "newer001"
    level.save()
    response = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    assert response["X-Tile-Cache"] == "miss"
    assert response.content != b"old boundaries" and len(response.content) > 100
    assert response["ETag"].startswith('"newer001-')


def test_cache_off_renders_every_time(client, settings):
    settings.TILE_CACHE_DIR = ""
    z, x, y = LEICESTER_Z12
    first = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    second = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt")
    assert first["X-Tile-Cache"] == second["X-Tile-Cache"] == "miss"
    assert first.content == second.content


def test_tiles_covering_a_box_spans_its_corners():
    # One tile at zoom 0; at zoom 1 a box around the origin touches all four.
    assert list(tiles_covering((-1.0, -1.0, 1.0, 1.0), 0)) == [(0, 0)]
    assert sorted(tiles_covering((-1.0, -1.0, 1.0, 1.0), 1)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # A box in the north-east quarter only.
    assert list(tiles_covering((10.0, 10.0, 20.0, 20.0), 1)) == [(1, 0)]


def test_warm_level_fills_the_cache_and_drops_earlier_versions(client, settings):
    level = GeographyLevel.objects.get(slug="msoa11")
    tilecache.put("msoa11", "oldversn", 3, 1, 1, b"stale")
    warmed = warm_level("msoa11", min_zoom=8, max_zoom=11)
    assert warmed.n_tiles > 4 and warmed.n_rendered == warmed.n_tiles
    assert 0 < warmed.n_empty < warmed.n_tiles  # Leicester and Bradford, sea between
    assert warmed.n_versions_purged == 1
    assert not (Path(settings.TILE_CACHE_DIR) / "msoa11" / "oldversn").exists()
    assert tilecache.count("msoa11", level.boundary_version) == warmed.n_tiles
    # Every tile of the warmed zooms is now a hit with the bytes a render gives.
    z, x, y = 10, 508, 335  # over Leicester
    hit = client.get(f"/tiles/msoa11/{z}/{x}/{y}.mvt")
    assert hit["X-Tile-Cache"] == "hit"
    # A second warm finds every tile cached and renders nothing.
    again = warm_level("msoa11", min_zoom=8, max_zoom=11)
    assert (again.n_tiles, again.n_rendered) == (warmed.n_tiles, 0)
    cache_dir = settings.TILE_CACHE_DIR
    settings.TILE_CACHE_DIR = ""
    assert client.get(f"/tiles/msoa11/{z}/{x}/{y}.mvt").content == hit.content
    settings.TILE_CACHE_DIR = cache_dir


def test_warm_tiles_command_dry_run_counts_and_commit_renders(settings):
    out = StringIO()
    call_command("warm_tiles", "lad19", min_zoom=6, max_zoom=9, stdout=out)
    assert "dry run" in out.getvalue()
    version = GeographyLevel.objects.get(slug="lad19").boundary_version
    assert tilecache.count("lad19", version) == 0
    out = StringIO()
    call_command("warm_tiles", "lad19", min_zoom=6, max_zoom=9, commit=True, stdout=out)
    assert "rendered" in out.getvalue()
    assert tilecache.count("lad19", version) > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"min_zoom": 9, "max_zoom": 8}, "zooms must satisfy"),
        ({"max_zoom": 21}, "zooms must satisfy"),
    ],
)
def test_warm_tiles_command_rejects_bad_zooms(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("warm_tiles", "lad19", stdout=StringIO(), **args)


def test_warm_tiles_command_names_an_unknown_level():
    with pytest.raises(CommandError, match="unknown level 'lsao11'"):
        call_command("warm_tiles", "lsao11", stdout=StringIO())


def test_a_boundary_load_warms_the_level_when_asked(
    settings, shared_data, django_capture_on_commit_callbacks
):
    settings.TILE_WARM_ON_LOAD = True
    settings.TILE_WARM_MIN_ZOOM = 8
    settings.TILE_WARM_MAX_ZOOM = 9
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "load_boundaries",
            str(shared_data / "leicester_wards13.geojson"),
            level="ward13",
            commit=True,
            stdout=StringIO(),
        )
    version = GeographyLevel.objects.get(slug="ward13").boundary_version
    assert tilecache.count("ward13", version) > 0


def test_no_warming_on_load_by_default_without_a_worker(settings):
    settings.TILE_WARM_ON_LOAD = False
    warm_after_load("lsoa11")  # nothing scheduled, nothing rendered
    version = GeographyLevel.objects.get(slug="lsoa11").boundary_version
    assert tilecache.count("lsoa11", version) == 0


def test_versioned_hit_is_served_without_the_database(client, django_assert_num_queries):
    z, x, y = LEICESTER_Z12
    version = GeographyLevel.objects.get(slug="lsoa11").boundary_version
    url = f"/tiles/lsoa11/{z}/{x}/{y}.mvt?v={version}"
    first = client.get(url)
    with django_assert_num_queries(0):
        second = client.get(url)
    assert (first["X-Tile-Cache"], second["X-Tile-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert "immutable" in second["Cache-Control"] and second["ETag"] == first["ETag"]


@pytest.mark.parametrize("version", ["../../../../etc", "LSOA", "a" * 17, "abc/def"])
def test_a_version_that_is_not_ours_never_reaches_the_filesystem(client, version):
    z, x, y = LEICESTER_Z12
    response = client.get(f"/tiles/lsoa11/{z}/{x}/{y}.mvt", {"v": version})
    assert response.status_code == 200
    assert response["X-Tile-Cache"] == "miss"  # rendered from the database instead
    assert "immutable" not in response["Cache-Control"]
