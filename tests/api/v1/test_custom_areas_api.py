"""GET/POST /api/v1/custom-areas/ and GET /api/v1/custom-areas/{code}/, and their figures
through the values endpoint (level=custom) and the area profile."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from layers.geography import save_custom_area
from layers.models import AuditEvent, CustomArea, GeographyLevel
from tests.api.v1.conftest import token_client
from tests.builders import make_agency

pytestmark = pytest.mark.django_db

URL = "/api/v1/custom-areas/"


def shown_codes(crime, n=3):
    return sorted(crime["counts"])[:n]


def test_define_list_and_read_a_custom_area_through_values_and_profile(crime):
    client = token_client(crime["council_analyst"])
    codes = shown_codes(crime)
    response = client.post(
        URL, {"name": "Riverside", "codes": codes, "shared": False}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"custom-[a-z2-7]{12}", body["code"])
    assert response["Location"] == f"{URL}{body['code']}/"
    assert (body["owner"], body["mine"], body["members"], body["base_level"]) == (
        "city-council",
        True,
        codes,
        "lsoa11",
    )
    event = AuditEvent.objects.get(action="custom_area.created")
    assert event.username == "ana" and event.detail["custom_area"] == body["code"]

    listed = client.get(URL).json()["custom_areas"]
    assert [a["code"] for a in listed] == [body["code"]]
    assert client.get(f"{URL}{body['code']}/").json()["name"] == "Riverside"

    values = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "custom", "purpose": "community_safety"},
    ).json()
    lsoas = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "lsoa11", "purpose": "community_safety"},
    ).json()
    released = {r["area_code"]: r["value"] for r in lsoas["values"]}
    (row,) = values["values"]
    assert row["area_code"] == body["code"]
    assert row["value"] == sum(released[c] for c in codes)

    profile = client.get(
        f"/api/v1/areas/{body['code']}/profile/", {"purpose": "community_safety"}
    ).json()
    assert profile["area"]["level"] == "custom" and profile["area"]["members"] == codes
    assert profile["indicators"][0]["value"]["value"] == row["value"]


def test_a_custom_area_with_a_withheld_lsoa_is_withheld(crime):
    client = token_client(crime["council_analyst"])
    codes = [*shown_codes(crime), crime["secret_code"]]
    assert client.post(URL, {"name": "Holed", "codes": codes}, format="json").status_code == 201
    values = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "custom", "purpose": "community_safety"},
    ).json()
    assert values["values"][0]["value"] is None and values["values"][0]["marker"] == "[c]"


@pytest.mark.parametrize(
    ("payload", "parameter", "words"),
    [
        (
            {"codes": ["E01013600", "E01013601", "E01999999"]},
            "codes",
            "unknown area codes: E01999999",
        ),
        (
            {"codes": ["E01013600", "E01013601", "E02002829"]},
            "codes",
            "not lsoa11 areas: E02002829 (msoa11)",
        ),
        (
            {"codes": ["E01013600", "E01013601", "E01013601", "E01013602"]},
            "codes",
            "given more than once: E01013601",
        ),
        ({"codes": ["E01013600", "E01013601"]}, "codes", "at least 3 lsoa11 areas, not 2"),
        ({"codes": "E01013600"}, "codes", "codes must be a list"),
        ({"name": "", "codes": ["E01013600", "E01013601", "E01013602"]}, "name", "required"),
        ({"shared": "yes"}, "shared", "true or false"),
        ({"base_level": "msoa11"}, "base_level", "built from LSOAs"),
        ({"agency": "city-police"}, "agency", "not a member"),
    ],
)
def test_bad_definitions_are_400s_naming_the_field_and_codes(crime, payload, parameter, words):
    body = {"name": "Patch", "codes": ["E01013600", "E01013601", "E01013602"], **payload}
    response = token_client(crime["council_analyst"]).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    messages = [p["detail"] for p in problem.get("problems", [])] + [problem["detail"]]
    assert problem["parameter"] == parameter or any(
        p["parameter"] == parameter for p in problem.get("problems", [])
    )
    assert any(words in m for m in messages), messages
    assert not CustomArea.objects.exists()
    assert not AuditEvent.objects.filter(action="custom_area.created").exists()


def test_a_name_is_used_once_per_agency(crime):
    client = token_client(crime["council_analyst"])
    body = {"name": "Patch", "codes": shown_codes(crime)}
    assert client.post(URL, body, format="json").status_code == 201
    again = client.post(URL, body, format="json")
    assert again.status_code == 400 and again.json()["parameter"] == "name"


def test_malformed_bodies_are_problems(crime):
    client = token_client(crime["council_analyst"])
    broken = client.post(URL, "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken["Content-Type"] == "application/problem+json"
    listed = client.post(URL, ["E01013600"], format="json")
    assert listed.status_code == 400 and listed.json()["parameter"] == "body"
    form = client.post(URL, {"name": "x"})  # multipart: not accepted here
    assert form.status_code == 415 and form["Content-Type"] == "application/problem+json"


def test_another_agencys_private_area_is_invisible_and_a_shared_one_is_not(crime):
    other = make_agency(slug="other", name="Other")
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    private = save_custom_area(owner=other, name="Ours", base_level=lsoa, codes=shown_codes(crime))
    shared = save_custom_area(
        owner=other, name="For all", base_level=lsoa, codes=shown_codes(crime), is_shared=True
    )
    client = token_client(crime["council_analyst"])
    listed = {a["name"]: a for a in client.get(URL).json()["custom_areas"]}
    assert set(listed) == {"For all"} and listed["For all"]["mine"] is False
    for path in (
        f"{URL}custom-{private.public_id}/",
        f"/api/v1/areas/custom-{private.public_id}/profile/",
    ):
        response = client.get(path, {"purpose": "community_safety"})
        assert response.status_code == 404, path
        assert "Ours" not in response.content.decode()
    assert client.get(f"{URL}custom-{shared.public_id}/").status_code == 200
    values = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "custom", "purpose": "community_safety"},
    ).json()
    assert [r["area_name"] for r in values["values"]] == ["For all"]


def test_anonymous_may_not_list_or_define():
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {}, format="json").status_code == 401
