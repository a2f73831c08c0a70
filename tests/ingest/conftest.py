"""Fixtures shared by the ingest tests."""

from __future__ import annotations

import pytest
from django.db import connection

from layers.models import Dataset, Indicator, Release
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
