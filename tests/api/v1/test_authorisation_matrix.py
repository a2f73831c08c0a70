"""The authorisation matrix: every endpoint x every kind of caller -> the expected status,
and every read of figures leaves exactly one audit event (the read, or the refusal with
its reason).

Callers: the owning agency's analyst; a recipient under an active agreement; recipients
whose agreement has expired, is suspended, stops at MSOA, does not list the API use, or
does not list the purpose; an agency with no agreement; and no one (no token). Each
recipient agency has its own agreement for the same dataset, so one release serves all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from layers.geography import custom_area_code, save_custom_area
from layers.models import AuditEvent, GeographyLevel
from layers.tokens import issue_token
from tests.builders import make_agency, make_agreement, make_member, publish_crime, three_parties

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"

# caller -> (agency slug, agreement overrides) for the recipients beyond the active one
VARIANTS: dict[str, dict[str, Any]] = {
    "expired": {
        "starts_on": date(2024, 1, 1),
        "ends_on": date(2025, 1, 31),
        "review_on": date(2024, 12, 1),
    },
    "suspended": {"status": "suspended"},
    "level_not_covered": {"finest_level": "msoa11"},
    "use_not_listed": {"uses": ["map", "export"]},
    "purpose_not_listed": {"purposes": ["health_improvement"]},
}
CALLERS = ["owner", "recipient", *VARIANTS, "outsider", "anonymous"]

# The gate's answer for a read of burglary at LSOA level, for the API, for PURPOSE.
READ: dict[str, tuple[int, str]] = {
    "owner": (200, "own_agency"),
    "recipient": (200, "agreement"),
    "expired": (403, "agreement_expired"),
    "suspended": (403, "agreement_suspended"),
    "level_not_covered": (403, "level_too_fine"),
    "use_not_listed": (403, "use_not_permitted"),
    "purpose_not_listed": (403, "purpose_not_permitted"),
    "outsider": (403, "no_agreement"),
    "anonymous": (401, ""),
}


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    users = {
        "owner": make_member("paul", parties["police"], "analyst"),
        "recipient": parties["council_analyst"],
        "outsider": make_member("fred", parties["fire"], "analyst"),
    }
    for n, (name, terms) in enumerate(VARIANTS.items(), start=2):
        agency = make_agency(slug=name.replace("_", "-"), name=name, kind="council")
        make_agreement(
            reference=f"ISA-2025-00{n}",
            provider=parties["police"],
            recipients=[agency.slug],
            **terms,
        )
        users[name] = make_member(f"user-{name}", agency, "analyst")
    clients = {"anonymous": APIClient()}
    for name, user in users.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user, days=1)[0]}")
        clients[name] = client
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    private = save_custom_area(
        owner=parties["council"],
        name="Council patch",
        base_level=lsoa,
        codes=sorted(parties["counts"])[:3],
    )
    parties.update(clients=clients, users=users, private_code=custom_area_code(private))
    return parties


def call(client: APIClient, method: str, url: str, data: Any = None, **kwargs: Any) -> Any:
    before = AuditEvent.objects.count()
    response = getattr(client, method)(url, data, **kwargs)
    new = list(AuditEvent.objects.order_by("id")[before:])
    return response, new


READS = [
    ("/api/v1/indicators/burglary/values/", {"level": "lsoa11"}, "values.read"),
    ("/api/v1/indicators/burglary/values/", {"level": "lsoa11", "format": "csv"}, "values.read"),
    ("/api/v1/areas/{code}/profile/", {"indicator": "burglary"}, "profile.read"),
    ("/api/v1/indicators/burglary/concerns/", {"level": "lsoa11"}, "concerns.read"),
]


def test_reads_of_figures_answer_by_the_gate_and_leave_one_event_each(world):
    for url, query, action in READS:
        url = url.format(code=world["secret_code"])
        for caller in CALLERS:
            status, reason = READ[caller]
            response, events = call(
                world["clients"][caller], "get", url, {**query, "purpose": PURPOSE}
            )
            assert response.status_code == status, (caller, url, response.content)
            if caller == "anonymous":
                assert events == [], "no viewer, nothing read: the 401 is not a read"
                continue
            assert len(events) == 1, (caller, url, [(e.action, e.outcome) for e in events])
            (event,) = events
            if status == 200:
                assert (event.action, event.outcome) == (action, reason), (caller, url)
                # A scan returns its areas of concern, which may be none.
                assert event.n_returned > 0 or action == "concerns.read"
            else:
                assert event.action == "access.refused", (caller, url)
                assert response.json()["reason"] == reason, (caller, url)
                assert reason in (event.outcome, *event.detail.get("refused", {}).values())


def test_level_not_covered_may_read_the_coarser_levels_it_allows(world):
    client = world["clients"]["level_not_covered"]
    response, events = call(
        client,
        "get",
        "/api/v1/indicators/burglary/values/",
        {"level": "msoa11", "purpose": PURPOSE},
    )
    assert response.status_code == 200 and len(events) == 1
    assert events[0].agreement_ref == "ISA-2025-004"


def test_a_whole_profile_is_one_event_that_names_what_was_refused(world):
    url = f"/api/v1/areas/{world['secret_code']}/profile/"
    for caller in CALLERS:
        status, reason = READ[caller]
        response, events = call(world["clients"][caller], "get", url, {"purpose": PURPOSE})
        if caller == "anonymous":
            assert response.status_code == 401 and events == []
            continue
        assert response.status_code == 200, caller
        (event,) = events
        assert event.action == "profile.read"
        slugs = [i["indicator"]["slug"] for i in response.json()["indicators"]]
        if status == 200:
            assert "burglary" in slugs and "refused" not in event.detail, caller
        else:
            assert slugs == [] and event.detail["refused"] == {"recorded-crime": reason}


CATALOGUE = [
    "/api/v1/levels/",
    "/api/v1/areas/?level=msoa11&page_size=1",
    "/api/v1/areas/E06000016/?simplify=500",
    "/api/v1/datasets/",
    "/api/v1/indicators/",
    "/api/v1/agreements/mine/",
    "/api/v1/custom-areas/",
]


def test_catalogue_and_geography_need_a_caller_and_read_no_figures(world):
    for url in CATALOGUE:
        for caller in CALLERS:
            response, events = call(world["clients"][caller], "get", url)
            assert response.status_code == (401 if caller == "anonymous" else 200), (caller, url)
            assert events == [], (caller, url)
    listing = {
        "owner": True,
        "recipient": True,
        "expired": False,
        "suspended": False,
        "level_not_covered": True,
        "use_not_listed": True,  # for the map and exports, which it does allow
        "purpose_not_listed": True,  # for its own purpose
        "outsider": False,
    }
    for caller, expected in listing.items():
        body = world["clients"][caller].get("/api/v1/datasets/").json()
        assert ("recorded-crime" in {d["slug"] for d in body["datasets"]}) is expected, caller


def test_custom_areas_belong_to_their_agency(world):
    detail = f"/api/v1/custom-areas/{world['private_code']}/"
    for caller in CALLERS:
        response, _ = call(world["clients"][caller], "get", detail)
        expected = {"recipient": 200, "anonymous": 401}.get(caller, 404)
        assert response.status_code == expected, caller
    codes = sorted(world["counts"])[3:6]
    for caller in CALLERS:
        response, events = call(
            world["clients"][caller],
            "post",
            "/api/v1/custom-areas/",
            {"name": f"Patch of {caller}", "codes": codes},
            format="json",
        )
        if caller == "anonymous":
            assert response.status_code == 401 and events == []
        else:
            assert response.status_code == 201, (caller, response.content)
            assert [e.action for e in events] == ["custom_area.created"]


def test_releases_are_the_owning_agencys_business(world):
    release_id = world["release"].public_id
    for caller in CALLERS:
        response, _ = call(world["clients"][caller], "get", f"/api/v1/releases/{release_id}/")
        # Analysts, even the owner's, do not read upload reports (stewards, services and
        # information managers do).
        assert response.status_code == (401 if caller == "anonymous" else 404), caller
        upload = SimpleUploadedFile("f.csv", b"area_code,period,indicator,value\n")
        response, events = call(
            world["clients"][caller],
            "post",
            "/api/v1/datasets/recorded-crime/releases/",
            {"file": upload},
            format="multipart",
        )
        expected = {"anonymous": 401}.get(caller, 404)
        assert response.status_code == expected, (caller, response.content)
        assert events == []
