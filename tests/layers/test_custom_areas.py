from __future__ import annotations

import pytest

from layers.domain.errors import ParamError
from layers.geography import save_custom_area
from layers.models import Area, GeographyLevel
from tests.builders import make_agency

pytestmark = pytest.mark.django_db

CODES = ["E01013600", "E01013601", "E01013602"]


def test_custom_area_geometry_is_the_union_of_its_lsoas():
    level = GeographyLevel.objects.get(slug="lsoa11")
    custom = save_custom_area(
        owner=make_agency(), name="Beaumont Leys", base_level=level, codes=CODES
    )
    members = list(Area.objects.filter(level=level, gss_code__in=CODES))
    assert sorted(custom.members.values_list("gss_code", flat=True)) == CODES
    assert custom.area_ha == pytest.approx(sum(a.area_ha for a in members), rel=1e-6)
    for member in members:
        assert custom.geom_27700.contains(member.geom_27700.point_on_surface)
    outside = Area.objects.filter(level=level).exclude(gss_code__in=CODES).first()
    assert not custom.geom_27700.contains(outside.geom_27700.point_on_surface)


def test_custom_area_union_follows_a_change_of_members():
    level = GeographyLevel.objects.get(slug="lsoa11")
    agency = make_agency()
    first = save_custom_area(owner=agency, name="Patch", base_level=level, codes=CODES)
    second = save_custom_area(owner=agency, name="Patch", base_level=level, codes=CODES[:1])
    assert first.id == second.id
    assert second.area_ha == pytest.approx(
        Area.objects.get(level=level, gss_code=CODES[0]).area_ha, rel=1e-6
    )


def test_custom_area_refuses_codes_of_another_level():
    level = GeographyLevel.objects.get(slug="lsoa11")
    with pytest.raises(ParamError, match="not lsoa11 areas: E02002829"):
        save_custom_area(
            owner=make_agency(), name="Bad", base_level=level, codes=["E01013600", "E02002829"]
        )


def test_custom_area_refuses_an_empty_list():
    level = GeographyLevel.objects.get(slug="lsoa11")
    with pytest.raises(ParamError, match="at least one area code"):
        save_custom_area(owner=make_agency(), name="Empty", base_level=level, codes=[" "])
