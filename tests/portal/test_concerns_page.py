"""The areas-of-concern page (/concerns/) and the map overlay's endpoint (/map/concerns/):
signed in only, pickers from what the user may map, a table with reasons and profile
links, the reason a scan could not run, and never a concern for a withheld area."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import MONTHS, build_scan_world, make_agency, make_member

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    return build_scan_world(tmp_path)


def signed_in(client: Any, user: Any, purpose: str = PURPOSE) -> Any:
    client.force_login(user)
    session = client.session
    session["purpose"] = purpose
    session.save()
    return client


def test_the_page_needs_a_sign_in(client):
    response = client.get("/concerns/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/map/concerns/?indicator=burglary").status_code == 401


def test_the_page_lists_concerns_with_reasons_and_profile_links(client, world):
    page = signed_in(client, world["council_analyst"]).get(
        "/concerns/", {"indicator": "burglary", "level": "lsoa11"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="burglary" selected>' in html
    assert '<option value="population"' in html  # the council's own count
    assert f'<option value="{MONTHS[-1]}" selected>' in html
    assert 'id="concerns-table"' in html
    assert f'href="/profiles/lsoa11/{world["surge"]}/"' in html
    assert "above its own control limit" in html
    assert world["secret"] not in html  # withheld from the council: never flagged
    assert "withheld from you [c] and left out of every test" in html
    assert "How areas are flagged" in html and "Benjamini-Hochberg" in html
    assert "style=" not in html and "<script>" not in html


def test_the_page_says_why_an_indicator_is_not_scanned(client, world):
    html = (
        signed_in(client, world["paul"])
        .get("/concerns/", {"indicator": "burglary"})
        .content.decode()
    )
    assert 'id="not-scanned"' in html and "Total population" in html
    assert 'id="concerns-table"' not in html


def test_the_page_has_an_empty_state_and_names_a_bad_choice(client, world):
    solo = make_member("solo", make_agency(slug="parish", name="Parish"), "analyst")
    html = signed_in(client, solo).get("/concerns/").content.decode()
    assert 'id="concerns-empty"' in html
    response = signed_in(client, world["council_analyst"]).get("/concerns/", {"indicator": "nope"})
    assert response.status_code == 400
    assert "is not a count you may map" in response.content.decode()


def test_the_map_overlay_gets_the_same_concerns_for_the_map_use(client, world):
    client = signed_in(client, world["council_analyst"])
    response = client.get("/map/concerns/", {"indicator": "burglary", "level": "lsoa11"})
    assert response.status_code == 200
    body = response.json()
    codes = {c["area_code"] for c in body["concerns"]}
    assert world["surge"] in codes and world["secret"] not in codes
    values = client.get("/map/values/", {"indicator": "burglary", "level": "lsoa11"}).json()
    status = {v["area_code"]: v["status"] for v in values["values"]}
    assert all(status[c] == "shown" for c in codes)
    missing = client.get("/map/concerns/")
    assert missing.status_code == 400 and missing.json()["parameter"] == "indicator"
    bad = client.get("/map/concerns/", {"indicator": "burglary", "period": "2025-13"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "period"
    fred = signed_in(client, world["fred"]).get("/map/concerns/", {"indicator": "burglary"})
    assert fred.status_code == 403 and fred.json()["reason"] == "no_agreement"
