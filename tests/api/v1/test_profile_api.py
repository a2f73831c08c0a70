"""GET /api/v1/areas/{code}/profile/: a thin view over layers.profile."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from layers.models import AuditEvent
from tests.api.v1.conftest import SECRET, token_client

pytestmark = pytest.mark.django_db

Q = {"purpose": "community_safety"}


def url(code: str) -> str:
    return f"/api/v1/areas/{code}/profile/"


def test_recipient_profile_withholds_the_secret_and_shows_no_trace_of_it(crime):
    response = token_client(crime["council_analyst"]).get(url(crime["secret_code"]), Q)
    assert response.status_code == 200
    body = response.json()
    assert body["area"]["code"] == crime["secret_code"] and body["area"]["level"] == "lsoa11"
    assert body["area"]["district"] == {"code": "E08000032", "level": "lad19"}  # Bradford
    (burglary,) = body["indicators"]
    assert burglary["value"] == {
        "value": None,
        "status": "withheld",
        "marker": "[c]",
        "rounded_to": None,
    }
    assert burglary["rank"] is None and burglary["agreement"]["reference"] == "ISA-2025-001"
    assert [t["period"] for t in burglary["trend"]] == ["2025-02", "2025-03"]
    assert burglary["district"]["method"] == "released_total_per_area"
    assert burglary["partnership"]["total"]["rounded_to"] == 5
    assert not re.search(rf"(?<![\w.]){SECRET}(?![\w.])", response.content.decode())
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.n_returned, event.n_withheld) == (
        "profile.read",
        body["n_returned"],
        body["n_withheld"],
    )


def test_owner_sees_the_secret_and_its_rank(crime):
    body = token_client(crime["police_analyst"]).get(url(crime["secret_code"])).json()
    (burglary,) = body["indicators"]
    assert burglary["value"]["value"] == SECRET and burglary["rank"]["of"] > 400
    assert burglary["access"] == "own_agency" and burglary["policy"] is None


def test_one_indicator_one_period_for_the_map_panel(crime):
    client = token_client(crime["council_analyst"])
    code = sorted(crime["counts"])[0]
    body = client.get(url(code), {**Q, "indicator": "burglary", "period": "2025-02"}).json()
    (burglary,) = body["indicators"]
    assert burglary["period"]["code"] == "2025-02"
    assert burglary["value"]["status"] == "shown" and burglary["rank"]["rank"] >= 1


def test_outsider_gets_an_empty_profile_or_a_403_for_a_named_indicator(crime):
    client = token_client(crime["fire_analyst"])
    assert client.get(url(crime["secret_code"]), Q).json()["indicators"] == []
    refused = client.get(url(crime["secret_code"]), {**Q, "indicator": "burglary"})
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["reason"] == "no_agreement"


@pytest.mark.parametrize(
    ("code", "query", "status", "parameter"),
    [
        ("E01999999", {}, 404, "code"),
        ("custom-999999", {}, 404, "code"),
        ("E06000016", {"level": "lsao11"}, 400, "level"),
        ("E01013600", {"period": "2025-02"}, 400, "period"),
        ("E01013600", {"indicator": "nope"}, 404, "indicator"),
        ("E01013600", {"indicator": "burglary", "period": "2019-13"}, 400, "period"),
    ],
)
def test_bad_requests_are_problems_naming_the_parameter(crime, code, query, status, parameter):
    response = token_client(crime["council_analyst"]).get(url(code), {**Q, **query})
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["parameter"] == parameter


def test_anonymous_is_401():
    response = APIClient().get(url("E01013600"))
    assert response.status_code == 401


def test_schema_documents_the_profile():
    import yaml

    schema = yaml.safe_load(APIClient().get("/api/v1/schema/").content)
    operation = schema["paths"]["/api/v1/areas/{code}/profile/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"level", "indicator", "period"}
    assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
