"""Pasted and uploaded code lists, and drawn polygons (pure: no database)."""

from __future__ import annotations

import pytest

from layers.domain.custom_areas import MAX_POLYGON_POSITIONS, parse_code_list, polygon_rings
from layers.domain.errors import ParamError


@pytest.mark.parametrize(
    "text",
    [
        "E01013600\nE01013601\nE01013602\n",
        "E01013600, E01013601; E01013602",
        "E01013600 E01013601\tE01013602",
        '"E01013600"\r\n"E01013601"\r\n"E01013602"\r\n',
        "LSOA11CD\nE01013600\nE01013601\nE01013602",
    ],
)
def test_parse_code_list_reads_codes_however_they_are_separated(text):
    assert parse_code_list(text) == ["E01013600", "E01013601", "E01013602"]


def test_parse_code_list_takes_the_code_column_of_a_csv_lookup():
    text = (
        "OA11CD,LAD19CD,LSOA11NM,LSOA11CD\n"
        "E00069000,E06000016,Leicester 003A,E01013600\n"
        "E00069001,E06000016,Leicester 003B,E01013601\n"
    )
    # Output area and district columns hold GSS codes too: the LSOA column is chosen.
    assert parse_code_list(text) == ["E01013600", "E01013601"]


def test_parse_code_list_keeps_what_is_not_a_code_so_the_check_can_name_it():
    assert parse_code_list("E01013600\nE0101360X\nnot-a-code") == [
        "E01013600",
        "E0101360X",
        "not-a-code",
    ]


def test_parse_code_list_of_nothing_is_empty():
    assert parse_code_list("  \n\n ") == []


SQUARE = [[-1.14, 52.63], [-1.12, 52.63], [-1.12, 52.645], [-1.14, 52.645], [-1.14, 52.63]]


def test_polygon_rings_accepts_a_polygon_and_closes_an_open_ring():
    rings = polygon_rings({"type": "Polygon", "coordinates": [SQUARE[:-1]]})
    assert rings == [[tuple(p) for p in SQUARE]]


@pytest.mark.parametrize(
    ("shape", "says"),
    [
        (None, "GeoJSON Polygon"),
        ({"type": "Point", "coordinates": [0, 0]}, "GeoJSON Polygon"),
        ({"type": "Polygon", "coordinates": []}, "no coordinates"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}, "[longitude, latitude]"),
        ({"type": "Polygon", "coordinates": [[[0, 0], ["a", 1], [1, 1]]]}, "[longitude, latitude]"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [True, 1], [1, 1]]]}, "[longitude"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 1], [1, 1]]]}, "not a longitude"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "three different"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [float("nan"), 1], [1, 1]]]},
            "[longitude",
        ),
    ],
)
def test_polygon_rings_names_what_is_wrong(shape, says):
    with pytest.raises(ParamError, match=r".*") as caught:
        polygon_rings(shape)
    assert says in caught.value.public_message
    assert caught.value.parameter == "polygon"


def test_polygon_rings_refuses_a_shape_with_too_many_corners():
    ring = [[-1.1 + i * 1e-5, 52.6 + (i % 2) * 1e-4] for i in range(MAX_POLYGON_POSITIONS + 5)]
    with pytest.raises(ParamError, match="more than"):
        polygon_rings({"type": "Polygon", "coordinates": [ring]})


def test_a_custom_area_name_is_one_line_of_text():
    from layers.domain.custom_areas import check_definition
    from layers.domain.levels import Level, LevelKind

    lsoa = Level(slug="lsoa11", kind=LevelKind.LSOA, edition=2011, name="LSOAs")
    codes = ["E01000001", "E01000002", "E01000003"]
    known = {c: {"lsoa11"} for c in codes}
    for bad in ("Two\nlines", "Tab\there", "Bell\x07"):
        problems = check_definition(name=bad, codes=codes, levels_of=known, base_level=lsoa)
        assert [p.parameter for p in problems] == ["name"], bad
    assert (
        check_definition(name="Clarendon Park", codes=codes, levels_of=known, base_level=lsoa) == []
    )
