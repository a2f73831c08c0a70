"""LSOA 2011 -> 2021: complex (X) changes need a chosen method, which is recorded, and
best fit breaks ties the same way whatever order the lookup rows come in."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline.run import Options, run
from ingest.pipeline.validate import EditionLink, best_fit
from layers.models import Dataset, GeographyLevel, Lookup, Release
from tests.ingest.conftest import values_of

HEADER = "area_code,period,indicator,value\n"


def complex_change(dataset: Dataset, old: str, links: list[tuple[str, float]]) -> None:
    for new, weight in links:
        Lookup.objects.create(
            child_level=GeographyLevel.objects.get(slug="lsoa11"),
            child_code=old,
            parent_level=dataset.level,
            parent_code=new,
            change="X",
            weight=weight,
            method=Lookup.Method.EDITION_CHANGE,
        )


def write(tmp_path: Path, text: str, name: str = "release.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.django_db
def test_a_complex_change_is_rejected_unless_a_method_is_chosen(lsoa21, tmp_path):
    # E01013604 was redrawn across two 2021 areas (ONS change X), unequal shares.
    complex_change(lsoa21, "E01013604", [("E01099003", 0.25), ("E01099004", 0.75)])
    path = write(tmp_path, HEADER + "E01013604,2024-03,all-crime,8\n")
    result = run(path, lsoa21, commit=True)
    assert not result.ok
    problem = result.problems[0]
    assert (problem.row, problem.column, problem.value) == (2, "area_code", "E01013604")
    assert "changed in a complex way in lsoa21" in problem.message
    assert "--edition-method best_fit" in problem.message
    rejected = Release.objects.get(dataset=lsoa21, status="rejected")
    assert rejected.conversion_method == "" and values_of(rejected) == {}

    result = run(path, lsoa21, commit=True, options=Options(edition_method="best_fit"))
    assert result.committed, result.render()
    release = Release.objects.get(dataset=lsoa21, status="published")
    assert release.conversion_method == "best_fit"
    assert values_of(release) == {("all-crime", "2024-03", "E01099004"): 8.0}
    assert any("converted from lsoa11 to lsoa21 (best fit)" in n for n in result.notes)


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["lowest first", "highest first"])
def test_best_fit_ties_go_to_the_lowest_code_whatever_the_lookup_order(lsoa21, tmp_path, order):
    links = [("E01099003", 0.5), ("E01099004", 0.5)]
    complex_change(lsoa21, "E01013604", links if order == "lowest first" else links[::-1])
    path = write(tmp_path, HEADER + "E01013604,2024-03,all-crime,8\n")
    result = run(path, lsoa21, commit=True, options=Options(edition_method="best_fit"))
    assert result.committed, result.render()
    release = Release.objects.get(dataset=lsoa21, status="published")
    assert values_of(release) == {("all-crime", "2024-03", "E01099003"): 8.0}


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ([("B", 0.7, "S"), ("A", 0.3, "S")], "B"),  # the largest weight wins
        ([("B", 0.5, "S"), ("A", 0.5, "S")], "A"),  # a tie: the lowest code
        ([("A", 0.5, "X"), ("C", 0.5, "X"), ("B", 0.5, "X")], "A"),
        ([("C", 0.4, "X"), ("B", 0.4, "X"), ("A", 0.2, "X")], "B"),
    ],
)
def test_best_fit_rule(links, expected):
    candidates = [EditionLink(code, weight, change) for code, weight, change in links]
    assert best_fit(candidates).new_code == expected
    assert best_fit(candidates[::-1]).new_code == expected
