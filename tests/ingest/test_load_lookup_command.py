from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from layers.models import Area, Lookup

pytestmark = pytest.mark.django_db


def run(*paths: Path, **options) -> str:
    out = StringIO()
    call_command("load_lookup", *map(str, paths), stdout=out, **options)
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "lookup.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def links(child: str, parent: str) -> dict[str, str]:
    return dict(
        Lookup.objects.filter(child_level__slug=child, parent_level__slug=parent).values_list(
            "child_code", "parent_code"
        )
    )


def test_lookups_join_every_lsoa_to_an_msoa_and_a_district():
    lsoas = set(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
    msoas = set(Area.objects.filter(level__slug="msoa11").values_list("gss_code", flat=True))
    districts = set(Area.objects.filter(level__slug="lad19").values_list("gss_code", flat=True))
    to_msoa, to_lad = links("lsoa11", "msoa11"), links("lsoa11", "lad19")
    assert len(lsoas) == 502
    assert set(to_msoa) == lsoas and set(to_msoa.values()) == msoas
    assert set(to_lad) == lsoas and districts == {"E06000016", "E08000032"}
    assert set(links("msoa11", "lad19")) == msoas


def test_best_fit_lookup_puts_every_lsoa_in_a_ward_that_contains_its_point():
    to_ward = links("lsoa11", "ward13")
    wards = set(Area.objects.filter(level__slug="ward13").values_list("gss_code", flat=True))
    assert len(to_ward) == 502 and set(to_ward.values()) == wards
    lsoa = Area.objects.get(level__slug="lsoa11", gss_code="E01013600")
    ward = Area.objects.get(level__slug="ward13", gss_code=to_ward["E01013600"])
    assert ward.geom_27700.contains(lsoa.geom_27700.point_on_surface)
    assert set(
        Lookup.objects.filter(parent_level__slug="ward13").values_list("method", flat=True)
    ) == {"point_on_surface"}


def test_load_lookup_is_idempotent(shared_data):
    before = Lookup.objects.count()
    out = run(shared_data / "leicester_lookup_lsoa11.csv", commit=True)
    assert "421 link(s) written" in out
    assert Lookup.objects.count() == before


def test_load_lookup_reads_an_edition_change_lookup_with_weights(tmp_path):
    path = write(
        tmp_path,
        "\ufeffLSOA11CD,LSOA21CD,LSOA21NM,CHGIND\n"
        "E01013600,E01099001,Leicester 003A,U\n"
        "E01013601,E01099002,Leicester 003F,S\n"
        "E01013601,E01099003,Leicester 003G,S\n"
        "E01013602,E01099004,Leicester 003H,M\n"
        "E01013603,E01099004,Leicester 003H,M\n",
    )
    out = run(path, commit=True)
    assert "5 lsoa11 -> lsoa21 link(s)" in out and "checked for form only" in out
    rows = {
        (r.child_code, r.parent_code): r
        for r in Lookup.objects.filter(child_level__slug="lsoa11", parent_level__slug="lsoa21")
    }
    assert rows[("E01013600", "E01099001")].change == "U"
    assert rows[("E01013600", "E01099001")].weight == 1.0
    assert rows[("E01013601", "E01099002")].weight == pytest.approx(0.5)
    assert rows[("E01013602", "E01099004")].change == "M"
    assert rows[("E01013601", "E01099003")].parent_name == "Leicester 003G"


def assert_rejected(path: Path, *messages: str) -> None:
    before = Lookup.objects.count()
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("load_lookup", str(path), commit=True, stdout=out)
    text = out.getvalue() + str(info.value)
    for message in messages:
        assert message in text, text
    assert Lookup.objects.count() == before


def test_load_lookup_rejects_an_unknown_area_code(tmp_path):
    path = write(tmp_path, "LSOA11CD,MSOA11CD\nE01013600,E02002829\nE01099999,E02002829\n")
    assert_rejected(path, "line 3, column LSOA11CD, value 'E01099999'", "unknown lsoa11 area")


def test_load_lookup_rejects_a_child_with_two_parents(tmp_path):
    path = write(tmp_path, "LSOA11CD,MSOA11CD\nE01013600,E02002829\nE01013600,E02002834\n")
    assert_rejected(path, "line 3, column MSOA11CD", "linked to msoa11 E02002829 on line 2")


def test_load_lookup_rejects_a_code_of_the_wrong_level(tmp_path):
    path = write(tmp_path, "LSOA11CD,MSOA11CD\nE02002829,E02002829\n")
    assert_rejected(path, "line 2, column LSOA11CD", "not a lsoa11 code")


def test_load_lookup_rejects_an_unknown_level_column(tmp_path):
    path = write(tmp_path, "LSOA11CD,LAD23CD\nE01013600,E06000016\n")
    assert_rejected(path, "column LAD23CD names level 'lad23', which is not defined")


def test_load_lookup_rejects_a_bad_change_indicator(tmp_path):
    path = write(tmp_path, "LSOA11CD,LSOA21CD,CHGIND\nE01013600,E01099001,Q\n")
    assert_rejected(path, "line 2, column CHGIND, value 'Q'", "must be U, S, M or X")


def test_load_lookup_rejects_a_file_with_one_code_column(tmp_path):
    path = write(tmp_path, "LSOA11CD,NAME\nE01013600,x\n")
    assert_rejected(path, "at least two code columns")


def test_load_lookup_rejects_a_short_row(tmp_path):
    path = write(tmp_path, "LSOA11CD,MSOA11CD\nE01013600\n")
    assert_rejected(path, "line 2: has 1 fields, the header has 2")


def test_load_lookup_rejects_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("LSOA11CD,MSOA11CD,NAME\nE01013600,E02002829,Caf\xe9\n".encode("latin-1"))
    assert_rejected(path, "not UTF-8 text")


def test_load_lookup_rejects_an_empty_file(tmp_path):
    assert_rejected(write(tmp_path, ""), "the file is empty")
