"""With DEBUG off, errors are short pages (problem+json under /api/) that never show a
stack trace, SQL, a file path or a figure."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.builders import PASSWORD, three_parties
from tests.portal.error_urls import SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.error_urls")]

LEAKS = ("Traceback", "SELECT", "layers_value", "4242", "/srv/", ".py", "RuntimeError", "E01000001")


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    return Client(raise_request_exception=False)


def assert_clean(response, status: int) -> str:
    body = response.content.decode()
    assert response.status_code == status, body[:500]
    for leak in LEAKS:
        assert leak not in body, (leak, body[:500])
    assert SECRET not in body
    return body


def test_page_errors_are_short_pages(production):
    assert "Server error" in assert_clean(production.get("/boom/"), 500)
    assert "Forbidden" in assert_clean(production.get("/denied/"), 403)
    assert "Not found" in assert_clean(production.get("/missing/"), 404)
    assert "Not found" in assert_clean(production.get("/no/such/page/"), 404)
    bad_host = production.get("/login/", HTTP_HOST="evil.example")  # DisallowedHost
    assert "Bad request" in assert_clean(bad_host, 400)
    for response in (production.get("/boom/"), production.get("/no/such/page/")):
        assert response["Content-Type"].startswith("text/html")
        assert "Content-Security-Policy" in response  # the headers stay on errors


def test_api_errors_are_problem_json(production):
    for url, status in (
        ("/api/v1/boom/", 500),
        ("/api/v1/denied/", 403),
        ("/api/v1/no-such-endpoint/", 404),
    ):
        response = production.get(url)
        assert_clean(response, status)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == status
    bad_host = production.get("/api/v1/levels/", HTTP_HOST="evil.example")
    assert_clean(bad_host, 400)
    assert bad_host["Content-Type"] == "application/problem+json"


def test_a_form_without_its_csrf_token_gets_a_403_page_that_says_what_to_do(settings):
    settings.DEBUG = False
    three_parties()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post("/login/", {"username": "ana", "password": PASSWORD})
    body = assert_clean(response, 403)
    assert "reload the page" in body
    assert "CSRF" not in body  # Django's own page would explain the mechanism
