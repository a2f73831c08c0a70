"""The SYNTHETIC national geography: counts, nesting, validity, determinism, and the
command that writes it with a partnership and simulated releases."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ingest.pipeline.synthetic import Sizes, generate
from layers.domain.access import Use
from layers.domain.levels import KNOWN_LEVELS, code_fits_level
from layers.models import Area, Dataset, GeographyLevel, Lookup, Release
from layers.read import read_values

SCALE = 0.01  # about 3 districts, 73 MSOAs, 357 LSOAs, 1,889 OAs, 87 wards
LEVELS = {lv.slug: lv for lv in KNOWN_LEVELS}


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    return generate(seed=7, scale=SCALE)


def test_generate_makes_the_national_counts_at_scale(small) -> None:  # type: ignore[no-untyped-def]
    sizes = Sizes.at_scale(SCALE)
    got = {kind: len(areas) for kind, areas in small.areas.items()}
    assert got["lad"] == sizes.lad
    assert got["msoa"] == sizes.msoa
    assert got["lsoa"] == sizes.lsoa
    assert got["oa"] == sizes.oa
    # Wards are grouped around seeds and an empty group is dropped: close to the target.
    assert abs(got["ward"] - sizes.ward) <= sizes.ward * 0.1


def test_sizes_at_full_scale_are_the_england_and_wales_counts() -> None:
    sizes = Sizes.at_scale(1.0)
    assert (sizes.oa, sizes.lsoa, sizes.msoa, sizes.lad) == (188_900, 35_700, 7_300, 330)


def test_children_tile_their_parents_exactly(small) -> None:  # type: ignore[no-untyped-def]
    by_code = {a.code: a for areas in small.areas.values() for a in areas}
    for child, parent in (("msoa", "lad"), ("lsoa", "msoa"), ("oa", "lsoa"), ("lsoa", "ward")):
        area_sum: dict[str, float] = defaultdict(float)
        for area in small.areas[child]:
            area_sum[area.parents[parent]] += area.geom.area
            # Each child lies inside its parent (a point inside it is covered).
            inner = shapely.point_on_surface(area.geom)
            assert by_code[area.parents[parent]].geom.covers(inner), (child, area.code)
        for area in small.areas[parent]:
            assert area_sum[area.code] == pytest.approx(area.geom.area, rel=1e-9)


def test_every_polygon_is_valid_and_codes_fit_their_level(small) -> None:  # type: ignore[no-untyped-def]
    slug = {"lad": "lad24", "msoa": "msoa21", "lsoa": "lsoa21", "oa": "oa21", "ward": "ward24"}
    for kind, areas in small.areas.items():
        assert all(a.geom.is_valid and not a.geom.is_empty for a in areas), kind
        assert all(code_fits_level(a.code, LEVELS[slug[kind]]) for a in areas), kind
        assert all(a.name.startswith("Synthetic") for a in areas), kind
        assert len({a.code for a in areas}) == len(areas)


def test_wards_nest_in_districts_but_cut_across_msoas(small) -> None:  # type: ignore[no-untyped-def]
    msoas_of_ward: dict[str, set[str]] = defaultdict(set)
    districts_of_ward: dict[str, set[str]] = defaultdict(set)
    for lsoa in small.areas["lsoa"]:
        msoas_of_ward[lsoa.parents["ward"]].add(lsoa.parents["msoa"])
        districts_of_ward[lsoa.parents["ward"]].add(lsoa.parents["lad"])
    assert all(len(d) == 1 for d in districts_of_ward.values())
    assert sum(len(m) > 1 for m in msoas_of_ward.values()) > len(msoas_of_ward) / 4


def test_the_same_seed_gives_the_same_geography() -> None:
    one = generate(seed=3, scale=0.003, with_oas=False)
    two = generate(seed=3, scale=0.003, with_oas=False)
    other = generate(seed=4, scale=0.003, with_oas=False)

    def fingerprint(g) -> list[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
        return [(a.code, shapely.to_wkb(a.geom)) for areas in g.areas.values() for a in areas]

    assert fingerprint(one) == fingerprint(two)
    assert fingerprint(one) != fingerprint(other)


@pytest.mark.django_db
def test_generate_national_writes_geography_partnership_and_release(settings, tmp_path) -> None:
    settings.FILE_STORE = tmp_path / "store"
    out = StringIO()
    call_command("generate_national", seed=7, scale=SCALE, commit=True, periods=2, stdout=out)
    sizes = Sizes.at_scale(SCALE)
    for slug, n in (("lad24", sizes.lad), ("msoa21", sizes.msoa), ("lsoa21", sizes.lsoa)):
        assert Area.objects.filter(level__slug=slug).count() == n
        level = GeographyLevel.objects.get(slug=slug)
        assert level.boundary_source.startswith("SYNTHETIC")
    assert Area.objects.filter(level__slug="oa21").count() == sizes.oa
    # Exact lookups from every LSOA to its MSOA and district; best fit to its ward.
    n_lsoa = sizes.lsoa
    for parent, method in (("msoa21", "exact"), ("lad24", "exact"), ("ward24", "ons_best_fit")):
        links = Lookup.objects.filter(
            child_level__slug="lsoa21", parent_level__slug=parent, method=method
        )
        assert links.count() == n_lsoa, parent
    # PostGIS agrees that each LSOA lies in its MSOA (the point on its surface does).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM layers_lookup AS l
            JOIN layers_area AS c ON c.gss_code = l.child_code AND c.level_id = l.child_level_id
            JOIN layers_area AS p ON p.gss_code = l.parent_code AND p.level_id = l.parent_level_id
            WHERE l.child_level_id = (SELECT id FROM layers_geographylevel WHERE slug = 'lsoa21')
              AND l.parent_level_id = (SELECT id FROM layers_geographylevel WHERE slug = 'msoa21')
              AND NOT ST_Covers(p.geom_27700, ST_PointOnSurface(c.geom_27700))
            """
        )
        assert cursor.fetchone()[0] == 0
    dataset = Dataset.objects.get(slug="synthetic-crime")
    assert dataset.is_simulated
    release = Release.objects.get(dataset=dataset, status="published")
    assert release.n_values == sizes.lsoa * 4 * 2
    # The recipient reads it through the one read path, with disclosure control applied:
    # at a mean of 6 per LSOA many cells are withheld, and every LSOA is present.
    from django.contrib.auth.models import User

    analyst = User.objects.get(username="bench-analyst")
    table = read_values(
        analyst,
        indicator="syn-crime-6",
        level="lsoa21",
        use=Use.API,
        purpose="community_safety",
    )
    assert len(table.rows) == sizes.lsoa
    assert table.decision.agreement_ref == "ISA-SYN-001"
    assert 0 < table.n_withheld < sizes.lsoa
    assert "SYNTHETIC" in out.getvalue()


@pytest.mark.django_db
def test_generate_national_refuses_to_replace_real_boundaries() -> None:
    GeographyLevel.objects.filter(slug="lsoa21").update(boundary_source="lsoa21.geojson")
    with pytest.raises(CommandError, match="lsoa21 already hold boundaries"):
        call_command("generate_national", seed=1, scale=SCALE, commit=True, stdout=StringIO())
    assert not Area.objects.filter(level__slug="lsoa21").exists()


@pytest.mark.django_db
def test_generate_national_dry_run_writes_nothing() -> None:
    out = StringIO()
    call_command("generate_national", seed=1, scale=0.003, without_oas=True, stdout=out)
    assert "dry run" in out.getvalue()
    assert not Area.objects.filter(level__slug="lsoa21").exists()


@pytest.mark.parametrize(("option", "value"), [("scale", 0.0), ("scale", 1.5), ("periods", 0)])
def test_generate_national_rejects_bad_options(option: str, value: float) -> None:
    with pytest.raises(CommandError, match=f"--{option} must be"):
        call_command("generate_national", seed=1, **{option: value}, stdout=StringIO())


@pytest.mark.django_db
def test_generate_national_twice_does_nothing_the_second_time(settings, tmp_path) -> None:
    settings.FILE_STORE = tmp_path / "store"
    args = {"seed": 2, "scale": 0.003, "without_oas": True, "commit": True}
    call_command("generate_national", **args, stdout=StringIO())
    version = GeographyLevel.objects.get(slug="lsoa21").boundary_version
    out = StringIO()
    call_command("generate_national", **args, stdout=out)
    assert "already here" in out.getvalue()
    assert GeographyLevel.objects.get(slug="lsoa21").boundary_version == version
    assert Release.objects.filter(dataset__slug="synthetic-crime").count() == 1
