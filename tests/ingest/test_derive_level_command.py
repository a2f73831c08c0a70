from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from layers.models import Area, GeographyLevel, Lookup

pytestmark = pytest.mark.django_db


def test_districts_are_dissolved_from_lsoas_along_the_lookup():
    leicester = Area.objects.get(level__slug="lad19", gss_code="E06000016")
    assert leicester.name == "Leicester"
    children = Lookup.objects.filter(
        child_level__slug="lsoa11", parent_level__slug="lad19", parent_code="E06000016"
    ).values_list("child_code", flat=True)
    lsoas = Area.objects.filter(level__slug="lsoa11", gss_code__in=list(children))
    assert lsoas.count() == 192
    # LSOAs tile the district: the union's area is the sum of theirs.
    assert leicester.area_ha == pytest.approx(lsoas.aggregate(s=Sum("area_ha"))["s"], rel=1e-3)
    assert all(leicester.geom_27700.contains(a.geom_27700.point_on_surface) for a in lsoas)
    assert GeographyLevel.objects.get(slug="lad19").derived_from.slug == "lsoa11"


def test_derive_level_refuses_without_a_lookup():
    with pytest.raises(CommandError, match="no lsoa11 -> lad24 lookup is loaded"):
        call_command("derive_level", "lad24", child="lsoa11", stdout=StringIO())


def test_derive_level_refuses_a_best_fit_lookup():
    with pytest.raises(CommandError, match="best fit, not exact"):
        call_command("derive_level", "ward13", child="lsoa11", stdout=StringIO())


def test_derive_level_refuses_a_coarser_child():
    with pytest.raises(CommandError, match="lad19 is not finer than lsoa11"):
        call_command("derive_level", "lsoa11", child="lad19", stdout=StringIO())
