"""The rules a custom area's definition must meet."""

from __future__ import annotations

import pytest

from layers.domain.custom_areas import MIN_CONSTITUENTS, DefinitionError, check_definition
from layers.domain.levels import KNOWN_LEVELS

LSOA = next(lv for lv in KNOWN_LEVELS if lv.slug == "lsoa11")
MSOA = next(lv for lv in KNOWN_LEVELS if lv.slug == "msoa11")
KNOWN = {
    "E01000001": {"lsoa11"},
    "E01000002": {"lsoa11"},
    "E01000003": {"lsoa11", "lsoa21"},
    "E02000001": {"msoa11"},
}


def check(name="Patch", codes=("E01000001", "E01000002", "E01000003"), level=LSOA, **kwargs):
    return check_definition(
        name=name, codes=list(codes), levels_of=KNOWN, base_level=level, **kwargs
    )


def test_three_lsoas_of_the_level_are_acceptable():
    assert check() == []
    assert MIN_CONSTITUENTS == 3


@pytest.mark.parametrize(
    ("kwargs", "parameter", "words"),
    [
        ({"name": " "}, "name", "name is required"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"level": MSOA, "codes": ["E02000001"] * 1}, "base_level", "built from LSOAs"),
        (
            {"codes": ["E01000001", "E01000002", "E01000002", "E01000003"]},
            "codes",
            "given more than once: E01000002",
        ),
        (
            {"codes": ["E01000001", "E01000002", "E01999999"]},
            "codes",
            "unknown area codes: E01999999",
        ),
        (
            {"codes": ["E01000001", "E01000002", "E02000001"]},
            "codes",
            "not lsoa11 areas: E02000001 (msoa11)",
        ),
        ({"codes": ["E01000001", "E01000002"]}, "codes", "at least 3 lsoa11 areas, not 2"),
        ({"codes": ["E01000001", "E01000002", 7]}, "codes", "non-empty strings"),
    ],
)
def test_each_problem_names_its_field_and_the_codes(kwargs, parameter, words):
    problems = check(**kwargs)
    assert any(p.parameter == parameter and words in p.message for p in problems), problems


def test_a_long_list_of_bad_codes_is_named_in_part_and_counted():
    codes = [f"E01{n:06d}" for n in range(100, 130)]
    (unknown,) = [p for p in check(codes=codes) if "unknown" in p.message]
    assert unknown.message.endswith("and 20 more")


def test_every_problem_is_reported_at_once():
    problems = check(name="", codes=["E01000001", "E01000001"])
    error = DefinitionError(problems)
    assert {p.parameter for p in error.problems} == {"name", "codes"}
    assert error.parameter == "name" and "name is required" in error.public_message


def test_the_minimum_is_the_policys_when_given():
    assert check(min_constituents=5)[0].message.startswith("a custom area needs at least 5")
