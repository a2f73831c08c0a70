"""Levels, areas, datasets, indicators and the caller's agreements; who sees what."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from layers.agreements import edit_agreement
from layers.models import AuditEvent
from tests.api.v1.conftest import token_client
from tests.builders import agreement_terms

pytestmark = pytest.mark.django_db


def test_levels_are_listed_fine_to_coarse_with_area_counts(crime):
    levels = token_client(crime["fire_analyst"]).get("/api/v1/levels/").json()["levels"]
    slugs = [lv["slug"] for lv in levels]
    assert slugs.index("lsoa11") < slugs.index("msoa11") < slugs.index("lad19")
    assert {lv["slug"]: lv["n_areas"] for lv in levels}["lsoa11"] == 502


def test_areas_page_through_a_level_as_geojson(crime):
    client = token_client(crime["fire_analyst"])
    first = client.get("/api/v1/areas/", {"level": "lsoa11", "page_size": 200})
    assert first["Content-Type"] == "application/geo+json"
    body = first.json()
    assert body["count"] == 502 and len(body["features"]) == 200 and body["previous"] is None
    last = client.get(body["next"].replace("http://testserver", "")).json()
    assert last["page"] == 2
    feature = body["features"][0]
    assert feature["properties"]["parents"]["lad19"] in {"E06000016", "E08000032"}
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_areas_filter_by_district_name_and_bbox(crime):
    client = token_client(crime["fire_analyst"])
    within = client.get("/api/v1/areas/", {"level": "msoa11", "within": "E08000032"}).json()
    assert within["count"] == 61
    named = client.get("/api/v1/areas/", {"level": "lad19", "q": "leic"}).json()
    assert [f["id"] for f in named["features"]] == ["E06000016"]
    # Leicester is near 1.13 W, 52.63 N; Bradford near 1.75 W, 53.79 N.
    boxed = client.get("/api/v1/areas/", {"level": "lad19", "bbox": "-1.3,52.5,-1.0,52.8"})
    assert [f["id"] for f in boxed.json()["features"]] == ["E06000016"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"level": "nowhere"}, "level"),
        ({}, "level"),
        ({"level": "lad19", "bbox": "1,2,3"}, "bbox"),
        ({"level": "lad19", "bbox": "5,5,1,1"}, "bbox"),
        ({"level": "lad19", "page": "0"}, "page"),
        ({"level": "lad19", "page_size": "100000"}, "page_size"),
        ({"level": "lad19", "within": "E0"}, "within"),
    ],
)
def test_bad_area_parameters_are_400(crime, query, parameter):
    response = token_client(crime["fire_analyst"]).get("/api/v1/areas/", query)
    assert response.status_code == 400 and response.json()["parameter"] == parameter


def test_one_area_by_code_and_404_for_an_unknown_one(crime):
    client = token_client(crime["fire_analyst"])
    area = client.get("/api/v1/areas/E06000016/").json()
    assert area["properties"]["area_name"] and area["properties"]["level"] == "lad19"
    assert client.get("/api/v1/areas/E06999999/").status_code == 404


def test_catalogue_lists_what_each_party_may_read(crime):
    recipient = token_client(crime["council_analyst"]).get("/api/v1/datasets/").json()
    (dataset,) = recipient["datasets"]
    assert dataset["slug"] == "recorded-crime"
    assert dataset["access"][0]["agreement"] == "ISA-2025-001"
    (indicator,) = dataset["indicators"]
    assert indicator["levels"][:1] == ["lsoa11"] and "lad19" in indicator["levels"]
    assert indicator["periods"] == ["2025-02", "2025-03"]
    assert indicator["uses"] == ["api", "export", "map"]
    owner = token_client(crime["police_analyst"]).get("/api/v1/indicators/").json()
    assert [i["slug"] for i in owner["indicators"]] == ["burglary"]
    outsider = token_client(crime["fire_analyst"]).get("/api/v1/datasets/").json()
    assert outsider["datasets"] == []


def test_catalogue_levels_follow_the_agreements_finest_level(crime):
    edit_agreement(
        crime["agreement"],
        terms=agreement_terms(finest_level="msoa11"),
        acting_user=None,
        note="coarser",
    )
    (indicator,) = (
        token_client(crime["council_analyst"]).get("/api/v1/indicators/").json()["indicators"]
    )
    assert "lsoa11" not in indicator["levels"] and "msoa11" in indicator["levels"]


@pytest.mark.parametrize(
    ("ward_method", "offered"), [("sum_of_published", False), ("protected", True)]
)
def test_wards_are_offered_only_where_they_can_have_figures(crime, ward_method, offered):
    # Wards (a best-fit level) are summed from the published LSOAs by default: under an
    # agreement whose finest level is MSOA no LSOA is published, so no ward could have a
    # figure and wards are not offered; a policy that protects wards gives them figures.
    client = token_client(crime["council_analyst"])
    (before,) = client.get("/api/v1/indicators/").json()["indicators"]
    assert "ward13" in before["levels"]
    edit_agreement(
        crime["agreement"],
        terms=agreement_terms(finest_level="msoa11", ward_method=ward_method),
        acting_user=None,
        note="coarser",
    )
    (indicator,) = client.get("/api/v1/indicators/").json()["indicators"]
    assert ("ward13" in indicator["levels"]) is offered
    assert "msoa11" in indicator["levels"] and "lad19" in indicator["levels"]
    # What the catalogue says agrees with what a read gives.
    values = client.get(
        "/api/v1/indicators/burglary/values/",
        {"level": "ward13", "period": "2025-03", "purpose": "community_safety"},
    ).json()
    shown = [v for v in values.get("values", []) if v.get("value") is not None]
    assert bool(shown) is offered
    # The owner is never limited.
    (owner,) = token_client(crime["police_analyst"]).get("/api/v1/indicators/").json()["indicators"]
    assert "ward13" in owner["levels"]


def test_suspended_agreement_drops_out_of_the_catalogue_but_not_out_of_mine(crime):
    edit_agreement(
        crime["agreement"],
        terms=agreement_terms(status="suspended"),
        acting_user=None,
        note="paused",
    )
    client = token_client(crime["council_analyst"])
    assert client.get("/api/v1/datasets/").json()["datasets"] == []
    (mine,) = client.get("/api/v1/agreements/mine/").json()["agreements"]
    assert mine["reference"] == "ISA-2025-001" and mine["grants_you"] is False
    assert mine["status"] == "suspended"


def test_my_agreements_say_what_and_until_when(crime):
    (mine,) = (
        token_client(crime["council_analyst"]).get("/api/v1/agreements/mine/").json()["agreements"]
    )
    assert mine["grants_you"] is True and mine["datasets"] == ["recorded-crime"]
    assert mine["ends_on"] == "2027-03-31" and mine["finest_level"] == "lsoa11"
    assert token_client(crime["fire_analyst"]).get("/api/v1/agreements/mine/").json() == {
        "agreements": []
    }


ENDPOINTS = [
    "/api/v1/levels/",
    "/api/v1/areas/?level=lad19",
    "/api/v1/areas/E06000016/",
    "/api/v1/datasets/",
    "/api/v1/indicators/",
    "/api/v1/agreements/mine/",
    "/api/v1/indicators/burglary/values/?level=lad19&purpose=community_safety",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_endpoint_refuses_anonymous_callers(crime, url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("party", "status"),
    [
        ("police_analyst", 200),
        ("council_analyst", 200),
        ("council_feed", 200),
        ("fire_analyst", 403),
        ("council_im", 403),
    ],
)
def test_values_matrix_and_one_audit_event_per_allowed_read(crime, party, status):
    before = AuditEvent.objects.filter(action="values.read").count()
    response = token_client(crime[party]).get(ENDPOINTS[-1])
    assert response.status_code == status
    after = AuditEvent.objects.filter(action="values.read").count()
    assert after - before == (1 if status == 200 else 0)
