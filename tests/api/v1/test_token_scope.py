"""A token acts for one agency: what the user's other agencies may see stays out of reach
through it, while the same user signed in sees both."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from layers.models import Membership
from layers.tokens import issue_token
from tests.api.v1.conftest import SECRET
from tests.builders import make_member

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicators/burglary/values/?level=msoa11&purpose=community_safety"


def _client(user, agency: str) -> APIClient:
    raw, _ = issue_token(user, days=1, agency=agency)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_a_token_for_one_agency_cannot_read_what_only_the_other_may(crime):
    # One person in two agencies: the council (a recipient of the crime agreement) and
    # fire (no agreement). The service role is one the agreement lists.
    both = make_member("both", crime["council"], "service")
    Membership.objects.create(user=both, agency=crime["fire"], role="service")
    as_council = _client(both, "city-council").get(URL)
    as_fire = _client(both, "fire-rescue").get(URL)
    assert as_council.status_code == 200
    assert as_fire.status_code == 403
    assert as_fire.json()["reason"] == "no_agreement"
    assert str(SECRET) not in as_fire.content.decode()


def test_the_catalogue_through_a_token_lists_only_its_agencys_datasets(crime):
    both = make_member("both", crime["council"], "service")
    Membership.objects.create(user=both, agency=crime["fire"], role="service")
    council = {
        d["slug"] for d in _client(both, "city-council").get("/api/v1/datasets/").json()["datasets"]
    }
    fire = {
        d["slug"] for d in _client(both, "fire-rescue").get("/api/v1/datasets/").json()["datasets"]
    }
    assert "recorded-crime" in council
    assert "recorded-crime" not in fire
