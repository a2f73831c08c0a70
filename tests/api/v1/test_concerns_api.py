"""GET /api/v1/indicators/{slug}/concerns/: access as for values, readable 400s, flags
that match the domain functions over the caller's shown figures, and no concern for an
area whose figure the caller may not see."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from layers.domain.scanning import poisson_excess
from layers.models import AuditEvent
from tests.api.v1.conftest import token_client
from tests.builders import MONTHS, build_scan_world, make_agreement
from tests.layers.test_scanning_read import partnership_rate

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicators/burglary/concerns/"
PURPOSE = "community_safety"


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    return build_scan_world(tmp_path)


def get(client: Any, **query: str) -> Any:
    return client.get(URL, {"purpose": PURPOSE, **query})


def values_of(client: Any, slug: str) -> dict[str, Any]:
    body = client.get(
        f"/api/v1/indicators/{slug}/values/", {"level": "lsoa11", "purpose": PURPOSE}
    ).json()
    return {v["area_code"]: v for v in body["values"]}


def test_a_recipient_gets_concerns_only_for_areas_it_may_see(world):
    client = token_client(world["council_analyst"])
    before = AuditEvent.objects.count()
    response = get(client, level="lsoa11")
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("id").action == "concerns.read"
    body = response.json()
    assert body["scanned"] and body["tests"] == ["excess", "hot_spot", "control"]
    assert body["period"]["code"] == MONTHS[-1]
    assert body["denominator"] == {
        "slug": "population",
        "name": "Total population",
        "period": "2015",
    }
    assert body["access"] == "agreement" and body["policy"]["min_count"] == 10
    assert body["n_withheld"] > 0 and body["count"] == len(body["concerns"]) > 0
    shown = values_of(client, "burglary")
    codes = [c["area_code"] for c in body["concerns"]]
    assert world["secret"] not in codes
    assert world["surge"] in codes
    for concern in body["concerns"]:
        assert shown[concern["area_code"]]["status"] == "shown"
        assert concern["reasons"] and all(r["reason"] for r in concern["reasons"])
        if concern["observed"] is not None:
            # The observed count is the shown figure itself, nothing finer.
            assert concern["observed"] == shown[concern["area_code"]]["value"]
    # The withheld area is nowhere in the answer.
    assert f'"{world["secret"]}"' not in response.content.decode()


def test_flags_match_the_domain_function_over_the_shown_figures(world):
    client = token_client(world["council_analyst"])
    body = get(client).json()
    counts = {
        c: round(v["value"])
        for c, v in values_of(client, "burglary").items()
        if v["value"] is not None
    }
    people = {
        c: v["value"] for c, v in values_of(client, "population").items() if v["value"] is not None
    }
    rate = partnership_rate(world["council_analyst"])
    expected = poisson_excess(counts, people, rate=rate)
    flagged = {c for c, e in expected.items() if e.flagged}
    got = {
        c["area_code"] for c in body["concerns"] if any(r["test"] == "excess" for r in c["reasons"])
    }
    assert got == flagged
    for concern in body["concerns"]:
        if concern["q"] is not None:
            assert concern["q"] == pytest.approx(expected[concern["area_code"]].q, abs=1e-6)


def test_the_owner_sees_the_flag_the_recipient_may_not(world):
    make_agreement(
        reference="ISA-2025-009",
        provider=world["council"],
        recipients=["city-police"],
        datasets=["population"],
    )
    body = get(token_client(world["paul"])).json()
    assert body["access"] == "own_agency"
    secret = next(c for c in body["concerns"] if c["area_code"] == world["secret"])
    assert secret["observed"] == 9 and secret["reasons"][0]["test"] == "excess"


def test_without_the_denominator_the_answer_says_why(world):
    body = get(token_client(world["paul"])).json()
    assert body["scanned"] is False and body["concerns"] == []
    assert "Total population" in body["not_scanned"]


def test_access_and_bad_parameters(world):
    fred = token_client(world["fred"])
    refused = get(fred)
    assert refused.status_code == 403
    assert refused.json()["reason"] == "no_agreement"
    assert refused["Content-Type"].startswith("application/problem+json")
    ana = token_client(world["council_analyst"])
    for query, parameter, words in (
        ({"level": "lsao11"}, "level", "unknown level 'lsao11'"),
        ({"level": "custom"}, "level", "custom areas are not scanned"),
        ({"period": "2025-13"}, "period", "period '2025-13'"),
        ({"period": "1999-01"}, "period", "no values for period"),
    ):
        response = get(ana, **query)
        assert response.status_code == 400, (query, response.content)
        problem = response.json()
        assert problem["parameter"] == parameter and words in problem["detail"], problem
    assert ana.get("/api/v1/indicators/nope/concerns/").status_code == 404
    assert APIClient().get(URL).status_code == 401
    rank = ana.get("/api/v1/indicators/risk-score/concerns/")
    assert rank.status_code == 404  # no such indicator in this world


def test_a_count_without_a_denominator_is_scanned_for_hot_spots_only(world):
    # The council's own population: no denominator, one period (no history to chart).
    body = get(token_client(world["council_analyst"])).json()
    assert body["scanned"]
    response = token_client(world["council_analyst"]).get(
        URL.replace("burglary", "population"), {"purpose": PURPOSE}
    )
    assert response.status_code == 200, response.content
    assert response.json()["tests"] == ["hot_spot"]
    assert response.json()["denominator"] is None
