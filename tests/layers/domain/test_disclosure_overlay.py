"""Wards and custom areas from published LSOA figures only (sum_of_published)."""

from __future__ import annotations

from layers.domain.disclosure.cells import Protection, Released, Status
from layers.domain.disclosure.overlay import sum_of_published

UNITS = {
    "L1": Released.shown("L1", 15, 5),
    "L2": Released.shown("L2", 20, 5),
    "L3": Released.withheld("L3", Protection.SMALL_COUNT),
    "L4": Released.no_data("L4"),
}


def test_overlay_of_published_parts_is_their_sum():
    ward = sum_of_published(UNITS, {"W1": ["L1", "L2"]})["W1"]
    assert (ward.value, ward.status, ward.rounded_to) == (35, Status.SHOWN, 5)


def test_overlay_with_a_withheld_part_is_withheld_as_incomplete():
    ward = sum_of_published(UNITS, {"W1": ["L1", "L3"]})["W1"]
    assert (ward.value, ward.status, ward.reason.value, ward.marker) == (
        None,
        Status.WITHHELD,
        "custom_area_incomplete",
        "[c]",
    )
    assert ward.protection is None  # nothing internal travels with it


def test_overlay_with_a_missing_part_is_no_data_not_a_partial_sum():
    assert sum_of_published(UNITS, {"W1": ["L1", "L4"]})["W1"].status is Status.NO_DATA
    assert sum_of_published(UNITS, {"W1": ["L1", "L9"]})["W1"].status is Status.NO_DATA


def test_overlapping_custom_areas_cannot_be_differenced():
    # A and A+L3 would give L3 by subtraction if A+L3 were computed from true values;
    # here A+L3 is withheld because L3 is.
    areas = sum_of_published(UNITS, {"A": ["L1", "L2"], "A+L3": ["L1", "L2", "L3"]})
    assert areas["A"].value == 35 and areas["A+L3"].value is None
