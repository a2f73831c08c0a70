"""HTTP hardening (issue #10): the headers on every page and API response, cookies, CSRF
on every form, CORS closed unless a partner origin is named, templates the CSP allows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from layers.tokens import issue_token
from tests.builders import PASSWORD, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_hardened(response, url: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    assert directives.get("default-src") == "'self'", url
    assert directives.get("script-src") == "'self'", url  # no inline script, no eval
    assert directives.get("style-src") == "'self'", url  # no inline style either
    assert directives.get("frame-ancestors") == "'none'", url
    assert directives.get("object-src") == "'none'", url
    assert "unsafe" not in csp, url
    for header, value in EXPECTED.items():
        assert response.get(header) == value, (url, header)
    if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
        assert_no_inline_code(response.content.decode(), url)


def assert_no_inline_code(html: str, where: object) -> None:
    """What the CSP refuses: inline script (json_script data blocks are not code), style
    blocks and attributes, event handler attributes."""
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        assert "src=" in tag or 'type="application/json"' in tag, (where, tag)
    assert not re.search(r"<style", html, flags=re.I), where
    assert not re.search(r"\sstyle=", html, flags=re.I), where
    assert not re.search(r"<[^>]+\son[a-z]+=", html, flags=re.I), where


def parameterless_urls(patterns=None, prefix: str = "") -> list[str]:
    """Every URL of the project without a path parameter, so a page added later is
    checked too."""
    urls = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                urls.append("/admin/")
                continue
            urls += parameterless_urls(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and "<" not in route and "(?P" not in route:
            urls.append("/" + (prefix + route).lstrip("^").rstrip("$"))
    return urls


@pytest.fixture
def parties():
    return three_parties()


def test_every_page_and_api_url_carries_the_security_headers(client, parties):
    urls = parameterless_urls()
    assert {"/", "/login/", "/agreements/", "/audit/", "/api/v1/levels/", "/api/v1/docs/"} <= set(
        urls
    )
    anonymous = Client()
    for url in urls:
        assert_hardened(anonymous.get(url), url)
    sign_in(client, "pim")  # an information manager, past the second factor
    for url in urls:
        assert_hardened(client.get(url), url)


def test_api_responses_errors_files_and_tiles_carry_the_headers(client, parties):
    raw, _ = issue_token(parties["council_analyst"], days=1)
    api = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    for url in (
        "/api/v1/datasets/",
        "/api/v1/indicators/no-such-thing/values/",  # problem+json 404
        "/api/v1/areas/?level=nonsense",  # problem+json 400
        "/api/v1/nowhere/",
    ):
        assert_hardened(api.get(url), url)
    assert_hardened(Client(HTTP_AUTHORIZATION="Token cg_wrong").get("/api/v1/datasets/"), "401")
    assert_hardened(client.get("/tiles/lad19/0/0/0.mvt"), "tile")
    assert_hardened(client.get("/static/portal/portal.css"), "static")
    assert_hardened(client.get("/no/such/page/"), "404")


def test_hsts_is_sent_over_https_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_session_and_csrf_cookies_are_httponly_samesite_and_secure_when_configured(
    parties, settings
):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    page = client.get("/login/")
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax" and csrf["secure"]
    response = client.post("/login/", {"username": "ana", "password": PASSWORD})
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax" and session["secure"]


POSTS = [
    ("/login/", {"username": "ana", "password": PASSWORD}),
    ("/logout/", {}),
    ("/purpose/", {"purpose": "community_safety"}),
    ("/agreements/new/", {"reference": "X"}),
    ("/agreements/ISA-2025-001/edit/", {"title": "x"}),
    ("/agreements/ISA-2025-001/suspend/", {"reason": "x"}),
    ("/agreements/ISA-2025-001/renew/", {"ends_on": "2030-01-01"}),
    ("/uploads/", {"dataset": "recorded-crime"}),
    ("/uploads/1/withdraw/", {"reason": "x"}),
    ("/api/v1/datasets/recorded-crime/releases/", {}),
]


def test_every_form_post_without_a_csrf_token_is_refused(parties):
    client = sign_in(Client(enforce_csrf_checks=True), "pim")
    for url, data in POSTS:
        response = client.post(url, data)
        assert response.status_code == 403, url
    from layers.models import Agreement

    assert Agreement.objects.get(reference="ISA-2025-001").versions.count() == 1


TEMPLATE_DIRS = [BASE_DIR / "portal" / "templates", BASE_DIR / "api" / "templates"]


def templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    forms = 0
    for path in templates():
        for form in re.findall(r"<form[^>]*>.*?</form>", path.read_text(), flags=re.S | re.I):
            if re.search(r'method="post"', form, flags=re.I):
                forms += 1
                assert "{% csrf_token %}" in form, path
    assert forms >= 8


def test_templates_hold_no_inline_script_style_or_event_handler():
    # Everything the CSP refuses; an inline block would fail only in the browser.
    for path in templates():
        assert_no_inline_code(path.read_text(), path)


def test_cors_is_closed_by_default(parties):
    response = Client().options(
        "/api/v1/levels/",
        HTTP_ORIGIN="https://partner.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "Access-Control-Allow-Origin" not in response


def test_cors_answers_only_the_partner_origins_named(parties, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.org"]
    preflight = Client().options(
        "/api/v1/levels/",
        HTTP_ORIGIN="https://partner.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://partner.example.org"
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight  # tokens, never cookies
    other = Client().get("/api/v1/levels/", HTTP_ORIGIN="https://elsewhere.example.org")
    assert "Access-Control-Allow-Origin" not in other
    page = Client().get("/login/", HTTP_ORIGIN="https://partner.example.org")
    assert "Access-Control-Allow-Origin" not in page  # pages are never cross-origin
