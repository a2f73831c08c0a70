"""The public surface under its own policy: the police publish crime to the public at
LSOA level with a threshold of 1,000, while the council's own agreement shows every
figure unrounded. The secret LSOA's count (937) is therefore shown to the council and
must appear nowhere public: not in the public API (values at every level, profiles), not
on the public map's JSON, not on the public page or the public profile page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from layers.models import Lookup
from layers.tokens import issue_token
from tests.builders import make_agreement, publish_crime, three_parties
from tests.leaks.test_no_withheld_value_in_any_channel import (
    INDICATORS,
    SECRET,
    assert_clean,
    assert_no_secret_number,
    assert_withheld,
    without_drawing,
)
from tests.public_world import public_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    cache.clear()
    parties = three_parties(round_to=0)  # the council sees every figure as it is
    parties.update(publish_crime(parties, tmp_path, secret=SECRET, scale=50))
    make_agreement(
        reference="ISA-2025-003",
        provider=parties["police"],
        **public_terms(finest_level="lsoa11", min_count=1000, round_to=0),
    )
    code = parties["secret_code"]
    parties["parents"] = dict(
        Lookup.objects.filter(child_level__slug="lsoa11", child_code=code).values_list(
            "parent_level__slug", "parent_code"
        )
    )
    return parties


def test_the_secret_is_real_the_council_sees_it(scenario):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {issue_token(scenario['council_analyst'], days=1)[0]}"
    )
    body = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "lsoa11", "within": scenario["secret_code"], "purpose": "community_safety"},
    ).json()
    assert [r["value"] for r in body["values"]] == [SECRET]


def test_public_api_values_at_every_level(scenario):
    code = scenario["secret_code"]
    for indicator in INDICATORS:
        for level in ("lsoa11", "msoa11", "lad19", "ward13"):
            if indicator != "burglary" and level == "ward13":
                continue
            where = f"public {indicator} {level}"
            response = APIClient().get(
                f"/api/v1/public/indicators/{indicator}/values/", {"level": level}
            )
            assert response.status_code == 200, (where, response.content)
            parsed = response.json()
            assert parsed["access"] == "public_agreement"
            assert_clean(response.content.decode(), parsed, where=where)
            if level == "lsoa11":
                rows = {r["area_code"]: r for r in parsed["values"]}
                assert_withheld(rows[code], where=where)


def test_public_api_profiles_of_the_area_and_around_it(scenario):
    code, parents = scenario["secret_code"], scenario["parents"]
    for area in (code, parents["msoa11"], parents["ward13"], parents["lad19"]):
        response = APIClient().get(f"/api/v1/public/areas/{area}/profile/")
        assert response.status_code == 200, (area, response.content)
        parsed = response.json()
        assert parsed["indicators"], area
        assert_clean(response.content.decode(), parsed, where=f"public profile {area}")


def test_public_map_json_and_pages(scenario):
    code, parents = scenario["secret_code"], scenario["parents"]
    client = Client()
    for indicator in INDICATORS:
        for level in ("lsoa11", "msoa11", "lad19"):
            response = client.get("/public/map/values/", {"indicator": indicator, "level": level})
            assert response.status_code == 200, response.content
            assert_clean(
                response.content.decode(), response.json(), where=f"map {indicator} {level}"
            )
        panel = client.get(
            "/public/map/area/", {"indicator": indicator, "level": "lsoa11", "code": code}
        )
        assert panel.status_code == 200
        assert_clean(panel.content.decode(), panel.json(), where=f"panel {indicator}")
    for level, area in (
        ("lsoa11", code),
        ("msoa11", parents["msoa11"]),
        ("lad19", parents["lad19"]),
    ):
        page = client.get(f"/public/areas/{level}/{area}/")
        assert page.status_code == 200
        assert_no_secret_number(without_drawing(page.content.decode()), where=f"page {area}")
    assert_no_secret_number(
        without_drawing(client.get("/public/").content.decode()), where="/public/"
    )
