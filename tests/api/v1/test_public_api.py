"""The public API: only datasets an agreement publishes to the public, under its policy,
with no sign-in; read-only (405 on writes), throttled (429), audited with no user; and
nothing else under /api/v1/ answers an anonymous caller."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from layers.agreements import suspend_agreement
from layers.models import AuditEvent
from layers.tokens import issue_token
from tests.public_world import PUBLIC_REF, public_world

pytestmark = pytest.mark.django_db

VALUES = "/api/v1/public/indicators/{slug}/values/"


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    cache.clear()  # the throttle's counts
    return public_world(tmp_path)


def test_public_catalogue_lists_only_public_datasets_with_their_policy(world):
    response = APIClient().get("/api/v1/public/indicators/")
    assert response.status_code == 200
    body = response.json()
    assert [d["slug"] for d in body["datasets"]] == ["recorded-crime"]
    (crime,) = body["datasets"]
    assert crime["agreement"] == {"reference": PUBLIC_REF, "version": 1}
    assert crime["policy"]["min_count"] == 10 and crime["policy"]["round_to"] == 10
    assert crime["policy"]["in_plain_words"].startswith(
        "Counts below 10 are not shown; others are rounded to the nearest 10."
    )
    burglary = next(i for i in crime["indicators"] if i["slug"] == "burglary")
    assert "lsoa11" not in burglary["levels"] and "msoa11" in burglary["levels"]
    # Wards would come from published LSOAs, which the public never gets: not offered.
    assert "ward13" not in burglary["levels"]
    assert burglary["periods"] == ["2025-02", "2025-03"]


def test_public_values_are_released_under_the_public_policy_and_audited_with_no_user(world):
    before = AuditEvent.objects.count()
    response = APIClient().get(
        VALUES.format(slug="burglary"),
        {"level": "msoa11", "period": "2025-03"},
        HTTP_X_REQUEST_ID="public-read-1",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["access"] == "public_agreement"
    assert body["agreement"] == {"reference": PUBLIC_REF, "version": 1}
    assert body["policy"]["round_to"] == 10
    shown = [r["value"] for r in body["values"] if r["status"] == "shown"]
    assert shown and all(v % 10 == 0 and v >= 10 for v in shown)
    (event,) = AuditEvent.objects.order_by("id")[before:]
    assert (event.action, event.use, event.outcome) == ("values.read", "public", "public_agreement")
    assert event.user_id is None and event.username == "" and event.agency_id is None
    assert event.agreement_ref == PUBLIC_REF and event.request_id == "public-read-1"
    assert event.n_returned == len(body["values"])


def test_public_values_refuse_a_level_finer_than_the_public_agreement(world):
    response = APIClient().get(VALUES.format(slug="burglary"), {"level": "lsoa11"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["reason"] == "level_too_fine"


@pytest.mark.parametrize("slug", ["dwelling-fires", "no-such-indicator"])
def test_an_indicator_not_published_to_the_public_is_not_there(world, slug):
    response = APIClient().get(VALUES.format(slug=slug), {"level": "msoa11"})
    assert response.status_code == 404
    assert response.json()["detail"] == f"no public indicator {slug!r}"


def test_a_token_changes_nothing_on_the_public_api(world):
    # A partner's token: the public API neither asks who calls nor shows them more.
    client = APIClient()
    token, _ = issue_token(world["council_analyst"], days=1)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(VALUES.format(slug="burglary"), {"level": "lsoa11"})
    assert response.status_code == 403  # the council may see LSOAs, the public may not
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/api/v1/public/indicators/").status_code == 200


def test_suspending_the_public_agreement_withdraws_the_data(world):
    suspend_agreement(world["public_agreement"], reason="review", acting_user=None)
    assert APIClient().get("/api/v1/public/indicators/").json()["datasets"] == []
    response = APIClient().get(VALUES.format(slug="burglary"), {"level": "msoa11"})
    assert response.status_code == 404


def test_public_profile_shows_public_indicators_only(world):
    response = APIClient().get(f"/api/v1/public/areas/{world['msoa']}/profile/")
    assert response.status_code == 200, response.content
    body = response.json()
    datasets = {i["indicator"]["dataset"] for i in body["indicators"]}
    assert datasets == {"recorded-crime"}
    assert all(i["agreement"]["reference"] == PUBLIC_REF for i in body["indicators"])
    assert "refused" not in body and "fire-incidents" not in response.content.decode()
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.use, event.user_id) == ("profile.read", "public", None)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_public_api_is_read_only(world, method):
    for url in (
        "/api/v1/public/indicators/",
        VALUES.format(slug="burglary") + "?level=msoa11",
        f"/api/v1/public/areas/{world['msoa']}/profile/",
    ):
        response = getattr(APIClient(), method)(url, {}, format="json")
        assert response.status_code == 405, (method, url)
        assert response["Content-Type"] == "application/problem+json"
        assert "GET" in response["Allow"] and method.upper() not in response["Allow"]


def test_head_and_options_answer(world):
    assert APIClient().head("/api/v1/public/indicators/").status_code == 200
    assert APIClient().options("/api/v1/public/indicators/").status_code == 200


def test_the_public_api_is_throttled_with_a_readable_problem(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "public": "3/minute",
        },
    }
    cache.clear()
    client = APIClient()
    statuses = [client.get("/api/v1/public/indicators/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(VALUES.format(slug="burglary"), {"level": "msoa11"})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Too many requests" and "throttled" in body["detail"].lower()
    assert int(response["Retry-After"]) > 0
    # Naming another address does not buy a fresh allowance; another address has its own.
    spoofed = client.get("/api/v1/public/indicators/", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert spoofed.status_code == 429
    other = APIClient(REMOTE_ADDR="192.0.2.7")
    assert other.get("/api/v1/public/indicators/").status_code == 200


def _api_patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    out = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            out += _api_patterns(entry, prefix + str(entry.pattern))
        else:
            out.append((prefix + str(entry.pattern), entry))
    return out


SAMPLE = {
    "<str:code>": "E06000016",
    "<slug:slug>": "recorded-crime",
    "<slug:release_id>": "r-1",
}
ANONYMOUS_ALLOWED = {
    "api-schema",  # the OpenAPI document: no data
    "api-docs",
    "api-not-found",  # the 404 for anything else
    "api-public-indicators",
    "api-public-values",
    "api-public-area-profile",
}


def test_every_other_api_endpoint_refuses_an_anonymous_caller(world):
    (api,) = [p for p in get_resolver().url_patterns if str(getattr(p, "pattern", "")) == "api/v1/"]
    checked = 0
    for route, pattern in _api_patterns(api, "/api/v1/"):
        if pattern.name in ANONYMOUS_ALLOWED:
            continue
        url = route
        for placeholder, sample in SAMPLE.items():
            url = url.replace(placeholder, sample)
        assert "<" not in url, f"no sample value for {route}"
        for method in ("get", "post"):
            response = getattr(APIClient(), method)(url, {"level": "lsoa11"})
            assert response.status_code in (401, 403), (method, url, response.status_code)
            assert "value" not in response.content.decode().replace("values", "")
        checked += 1
    assert checked >= 12


def test_the_public_api_is_documented_without_sign_in():
    import yaml

    schema = yaml.safe_load(APIClient().get("/api/v1/schema/").content)
    for path in (
        "/api/v1/public/indicators/",
        "/api/v1/public/indicators/{slug}/values/",
        "/api/v1/public/areas/{code}/profile/",
    ):
        operation = schema["paths"][path]["get"]
        assert "401" not in operation["responses"] and "429" in operation["responses"], path
        assert operation["security"] == [{}], path  # no token asked for
        assert set(schema["paths"][path]) <= {"get", "parameters"}, path  # read-only
    values = schema["paths"]["/api/v1/public/indicators/{slug}/values/"]["get"]
    assert {p["name"] for p in values["parameters"]} == {"slug", "level", "period"}


def test_a_custom_area_shared_with_the_partnership_is_not_public(world):
    from layers.geography import custom_area_code, save_custom_area
    from layers.models import Area, GeographyLevel

    codes = Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True)[:3]
    shared = save_custom_area(
        owner=world["council"],
        name="Operation Nightjar patch",
        base_level=GeographyLevel.objects.get(slug="lsoa11"),
        codes=list(codes),
        is_shared=True,
    )
    code = custom_area_code(shared)
    for query in ({}, {"level": "custom"}):
        response = APIClient().get(f"/api/v1/public/areas/{code}/profile/", query)
        assert response.status_code == 404, response.content
        assert "Nightjar" not in response.content.decode()
    response = APIClient().get(VALUES.format(slug="burglary"), {"level": "custom"})
    assert response.status_code == 400 and "Nightjar" not in response.content.decode()
