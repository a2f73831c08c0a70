from __future__ import annotations

import pytest

from layers.domain.levels import (
    KNOWN_LEVELS,
    code_fits_level,
    is_gss_code,
    level_slug_for_column,
    sort_fine_to_coarse,
)

LEVELS = {lv.slug: lv for lv in KNOWN_LEVELS}


def test_known_levels_include_the_editions_the_brief_names():
    assert {
        "oa21",
        "lsoa21",
        "msoa21",
        "ward24",
        "lad24",
        "oa11",
        "lsoa11",
        "msoa11",
        "ward13",
    } <= set(LEVELS)


def test_sort_fine_to_coarse_orders_oa_lsoa_msoa_lad():
    ordered = [
        lv.slug
        for lv in sort_fine_to_coarse([LEVELS[s] for s in ("lad24", "oa21", "msoa21", "lsoa21")])
    ]
    assert ordered == ["oa21", "lsoa21", "msoa21", "lad24"]


@pytest.mark.parametrize(
    ("finer", "coarser"),
    [("oa21", "lsoa21"), ("lsoa11", "msoa11"), ("lsoa21", "ward24"), ("msoa21", "lad24")],
)
def test_is_finer_than_when_finer(finer, coarser):
    assert LEVELS[finer].is_finer_than(LEVELS[coarser])
    assert not LEVELS[coarser].is_finer_than(LEVELS[finer])


def test_ward_and_msoa_are_of_one_fineness():
    assert not LEVELS["ward24"].is_finer_than(LEVELS["msoa21"])
    assert not LEVELS["msoa21"].is_finer_than(LEVELS["ward24"])


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("E01000001", True),
        ("W01000001", True),
        ("E0100000", False),
        ("E010000011", False),
        ("e01000001", False),
        ("X01000001", False),
        ("", False),
    ],
)
def test_is_gss_code(code, expected):
    assert is_gss_code(code) is expected


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [
        ("E01013600", "lsoa11", True),
        ("E02002829", "lsoa11", False),
        ("E06000016", "lad19", True),
        ("E08000032", "lad24", True),
        ("E05001234", "ward13", True),
        ("E00000001", "oa21", True),
        ("E01000001", "oa21", False),
    ],
)
def test_code_fits_level(code, level, expected):
    assert code_fits_level(code, LEVELS[level]) is expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("LSOA21CD", ("lsoa21", "CD")),
        ("lsoa11nm", ("lsoa11", "NM")),
        ("WD13CD", ("ward13", "CD")),
        ("LAD19NM", ("lad19", "NM")),
        ("OA21CD", ("oa21", "CD")),
        ("CHGIND", None),
        ("LSOA21", None),
        ("Area Code", None),
    ],
)
def test_level_slug_for_column(column, expected):
    assert level_slug_for_column(column) == expected
