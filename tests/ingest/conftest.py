"""Fixtures shared by the ingest tests."""

from __future__ import annotations

import pytest
from django.db import connection

from layers.models import Area, Dataset, GeographyLevel, Indicator, Lookup, Release
from tests.builders import make_agency, make_dataset


@pytest.fixture(autouse=True)
def _file_store(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"


@pytest.fixture
def crime() -> Dataset:
    dataset = make_dataset(owner=make_agency(slug="city-police", name="City Police", kind="police"))
    for slug, measure in (
        ("all-crime", "count"),
        ("burglary", "count"),
        ("crime-rate", "rate"),
        ("pct-solved", "percentage"),
    ):
        Indicator.objects.get_or_create(
            dataset=dataset,
            slug=slug,
            defaults={
                "name": slug.replace("-", " "),
                "measure": measure,
                "is_summable": measure == "count",
            },
        )
    return dataset


def values_of(release: Release) -> dict[tuple[str, str, str], float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.slug, p.code, a.gss_code, v.value FROM layers_value v "
            "JOIN layers_indicator i ON i.id = v.indicator_id "
            "JOIN layers_period p ON p.id = v.period_id JOIN layers_area a ON a.id = v.area_id "
            "WHERE v.release_id = %s",
            [release.id],
        )
        return {(s, p, a): v for s, p, a, v in cursor.fetchall()}


@pytest.fixture
def lsoa21(crime) -> Dataset:
    """Four 2021 LSOAs made from 2011 ones, an edition lookup with U, M and S changes, and
    the crime dataset moved to lsoa21."""
    level11 = GeographyLevel.objects.get(slug="lsoa11")
    level21 = GeographyLevel.objects.get(slug="lsoa21")
    source = {
        a.gss_code: a
        for a in Area.objects.filter(
            level=level11, gss_code__in=["E01013600", "E01013601", "E01013602", "E01013603"]
        )
    }
    for new, old in (
        ("E01099001", "E01013600"),
        ("E01099002", "E01013601"),
        ("E01099003", "E01013602"),
        ("E01099004", "E01013603"),
    ):
        Area.objects.create(
            level=level21, gss_code=new, name=new, area_ha=1, geom_27700=source[old].geom_27700
        )
    links = [
        ("E01013600", "E01099001", "U", 1.0),
        ("E01013601", "E01099002", "M", 1.0),
        ("E01013602", "E01099002", "M", 1.0),
        ("E01013603", "E01099003", "S", 0.7),
        ("E01013603", "E01099004", "S", 0.3),
    ]
    for old, new, change, weight in links:
        Lookup.objects.create(
            child_level=level11,
            child_code=old,
            parent_level=level21,
            parent_code=new,
            change=change,
            weight=weight,
            method=Lookup.Method.EDITION_CHANGE,
        )
    crime.level = level21
    crime.save()
    return crime
