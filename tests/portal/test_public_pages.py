"""The public pages: /public/, the public map and its JSON, and public area profiles,
open with no sign-in and showing only what agreements publish to the public; and every
other page of the portal still sends an anonymous visitor to sign in."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from layers.models import Area, AuditEvent
from tests.public_world import PUBLIC_REF, public_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    cache.clear()
    found = public_world(tmp_path)
    found["dataset"].is_simulated = True
    found["dataset"].source = "Simulated for the tests"
    found["dataset"].save()
    return found


def config(html: str) -> dict[str, Any]:
    start = html.index('<script id="map-config" type="application/json">') + 48
    return json.loads(html[start : html.index("</script>", start)])


def test_public_page_lists_public_datasets_with_sources_and_policy_in_words(world):
    response = Client().get("/public/")
    assert response.status_code == 200
    html = response.content.decode()
    assert world["dataset"].title in html and "Dwelling fires" not in html
    assert "Counts below 10 are not shown; others are rounded to the nearest 10." in html
    assert "Simulated for the tests" in html and "made up for a demonstration" in html
    assert PUBLIC_REF in html
    assert 'href="/public/map/"' in html


def test_public_page_finds_areas_at_public_levels_only(world):
    msoa = Area.objects.get(level__slug="msoa11", gss_code=world["msoa"])
    html = Client().get("/public/", {"q": msoa.gss_code}).content.decode()
    assert f'href="/public/areas/msoa11/{msoa.gss_code}/"' in html


def test_login_page_links_to_the_public_page():
    html = Client().get("/login/").content.decode()
    assert re.search(r'<a href="/public/">Public data, no login needed</a>', html)


def test_public_map_offers_public_indicators_only_and_no_downloads(world):
    response = Client().get("/public/map/")
    assert response.status_code == 200
    found = config(response.content.decode())
    assert found["public"] is True and found["purpose"] is None
    datasets = [d["slug"] for t in found["themes"] for d in t["datasets"]]
    assert datasets == ["recorded-crime"]
    burglary = next(
        i
        for t in found["themes"]
        for d in t["datasets"]
        for i in d["indicators"]
        if i["slug"] == "burglary"
    )
    assert "lsoa11" not in burglary["levels"] and "msoa11" in burglary["levels"]
    assert found["urls"]["csv"] is None and found["urls"]["png"] is None
    assert 'class="downloads" aria-labelledby="downloads-title" hidden' in response.content.decode()


def test_public_map_values_under_the_public_policy(world):
    response = Client().get("/public/map/values/", {"indicator": "burglary", "level": "msoa11"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["access"] == "public_agreement" and body["agreement"]["reference"] == PUBLIC_REF
    assert body["classes"]["bands"] and body["summary"]["shown"] > 0
    assert all(r["value"] % 10 == 0 for r in body["values"] if r["status"] == "shown")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.use, event.user_id) == ("values.read", "public", None)


def test_a_signed_in_partner_sees_only_public_data_on_the_public_map(world, client):
    client.force_login(world["council_analyst"])
    response = client.get("/public/map/values/", {"indicator": "burglary", "level": "msoa11"})
    assert response.json()["agreement"]["reference"] == PUBLIC_REF  # not their ISA-2025-001
    refused = client.get("/public/map/values/", {"indicator": "burglary", "level": "lsoa11"})
    assert refused.status_code == 403 and refused.json()["reason"] == "level_too_fine"
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.use, event.user_id) == ("access.refused", "public", None)


def test_public_map_refuses_what_is_not_public(world):
    for indicator in ("dwelling-fires", "nothing"):
        response = Client().get("/public/map/values/", {"indicator": indicator, "level": "msoa11"})
        assert (
            response.status_code == 404 and response["Content-Type"] == "application/problem+json"
        )
    area = Client().get(
        "/public/map/area/",
        {"indicator": "dwelling-fires", "level": "msoa11", "code": world["msoa"]},
    )
    assert area.status_code == 404
    assert Client().post("/public/map/values/").status_code == 405


def test_public_map_side_panel_links_to_the_public_profile(world):
    response = Client().get(
        "/public/map/area/", {"indicator": "burglary", "level": "msoa11", "code": world["msoa"]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["profile_url"] == f"/public/areas/msoa11/{world['msoa']}/"
    assert [i["indicator"]["slug"] for i in body["indicators"]] == ["burglary"]


def test_public_profile_page_shows_public_indicators_only(world):
    response = Client().get(f"/public/areas/msoa11/{world['msoa']}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Burglary" in html and f"Published to the public under {PUBLIC_REF} v1" in html
    assert "Dwelling" not in html and "Not included" not in html and "fire-incidents" not in html
    assert "ISA-2025-001" not in html


def test_public_profile_at_a_level_finer_than_published_shows_nothing(world):
    code = Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True).first()
    html = Client().get(f"/public/areas/lsoa11/{code}/").content.decode()
    assert "No indicator is available" in html and "Burglary" not in html
    assert Client().get("/public/areas/lsoa11/E99999999/").status_code == 404
    assert Client().get("/public/areas/custom/abc/").status_code == 404


# --- nothing else is visible without signing in ---------------------------------------

PUBLIC_NAMES = {
    "public",
    "public-map",
    "public-map-values",
    "public-map-area",
    "public-map-search",
    "public-profile",
    "login",
    "logout",  # signs out whoever is signed in; shows nothing
    "healthz",  # "ok" and the database's state, no figure
    "tile",  # boundary geometry (public): code and name only
}
SAMPLES = {
    "<str:reference>": "ISA-2025-001",
    "<int:version>": "1",
    "<str:task_id>": "abc",
    "<slug:release_id>": "r-1",
    "<str:public_id>": "abc",
    "<slug:level>": "lsoa11",
    "<str:code>": "E01000001",
}


def _routes(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern) in ("api/v1/", "admin/"):
                continue  # the API has its own walk (tests/api/v1/test_public_api.py)
            out += _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            out.append((prefix + str(entry.pattern), entry))
    return out


def _refused(response: Any) -> bool:
    if response.status_code in (301, 302):
        return response["Location"].startswith("/login/")
    return response.status_code in (401, 403)


def test_every_other_page_sends_an_anonymous_visitor_to_sign_in(world):
    checked = []
    for route, pattern in _routes(get_resolver().url_patterns):
        if pattern.name in PUBLIC_NAMES:
            continue
        url = "/" + route
        for placeholder, sample in SAMPLES.items():
            url = url.replace(placeholder, sample)
        assert "<" not in url and "^" not in url, f"no sample for {route}"
        refusals = 0
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            # A view may say 405 to a method it never answers, before anything else.
            if response.status_code == 405:
                continue
            assert _refused(response), (method, url, response.status_code)
            refusals += 1
        assert refusals, f"{url} answers neither GET nor POST"
        checked.append(url)
    assert "/" in checked and "/map/values/" in checked and "/audit/" in checked
    assert len(checked) >= 30
    admin = Client().get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")


def test_a_session_still_owing_its_second_factor_may_see_the_public_pages(world, client):
    from tests.builders import make_member

    client.force_login(make_member("irene", world["police"], "information_manager"))
    assert client.get("/audit/").status_code == 302  # sent to the second factor
    assert client.get("/public/").status_code == 200
    response = client.get("/public/map/values/", {"indicator": "burglary", "level": "msoa11"})
    assert response.status_code == 200
    assert response.json()["agreement"]["reference"] == PUBLIC_REF  # not the owner's view


def test_public_pages_share_the_public_allowance_per_address_signed_in_or_not(world, settings):
    """The pages cost what the API costs (a profile reads every public indicator), so
    they are throttled per address too, with a page saying when to come back."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "public": "3/minute",
        },
    }
    cache.clear()
    visitor = Client()
    urls = ["/public/", "/public/map/", f"/public/areas/msoa11/{world['msoa']}/"]
    assert [visitor.get(url).status_code for url in urls] == [200, 200, 200]
    refused = visitor.get("/public/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    # The JSON behind the map shares the same allowance.
    assert visitor.get("/public/map/search/", {"q": "Le"}).status_code == 429
    # Another address has its own; signing in does not lift the limit on these pages.
    other = Client(REMOTE_ADDR="192.0.2.8")
    assert other.get("/public/").status_code == 200
    other.force_login(world["council_analyst"])
    assert [other.get("/public/").status_code for _ in range(3)] == [200, 200, 429]
