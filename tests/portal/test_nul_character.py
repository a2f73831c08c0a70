"""A NUL byte (%00) in an address is a readable 400 everywhere, signed in or not: it
never reaches PostgreSQL, which refuses NUL in text and would turn it into a 500 (found
by a review probing the public pages, the scans and the products)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.public_world import public_world
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

ANONYMOUS = [
    "/public/?q=a%00b",
    "/public/map/search/?q=ab%00",
    "/public/map/values/?indicator=burglary%00&level=msoa11",
    "/public/map/area/?indicator=burglary%00&level=msoa11&code=E02000001",
    "/public/areas/msoa11/E02%00/",
    "/api/v1/public/areas/E02%00/profile/",
    "/api/v1/public/indicators/burglary/values/?level=msoa11%00",
]
SIGNED_IN = [
    "/map/concerns/?indicator=burglary%00",
    "/map/values/?indicator=burglary%00&level=lsoa11",
    "/products/%00/",
    "/priorities/?area=lad19%00",
    "/api/v1/indicators/burglary/values/?level=lsoa11&period=2025-03%00",
]


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    return public_world(tmp_path)


def assert_readable_400(response: Any) -> None:
    body = response.content.decode()
    assert response.status_code == 400, body[:300]
    assert "NUL character" in body
    assert "DataError" not in body and "Traceback" not in body


@pytest.mark.parametrize("url", ANONYMOUS)
def test_a_nul_byte_is_a_readable_400_for_anyone(world, url):
    response = Client().get(url)
    assert_readable_400(response)
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("url", SIGNED_IN)
def test_a_nul_byte_is_a_readable_400_when_signed_in(world, url):
    assert_readable_400(sign_in(Client(), world["council_analyst"]).get(url))


def test_an_encoded_percent_is_not_mistaken_for_a_nul(world):
    response = Client().get("/public/", {"q": "100%00 sure"})  # sent as 100%2500+sure
    assert response.status_code == 200
