from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from layers.models import AuditEvent
from tests.builders import PASSWORD, three_parties

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_sign_in_with_the_right_password_goes_on_to_the_purpose(client):
    three_parties()
    response = sign_in(client, "ana", PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/purpose/")
    assert AuditEvent.objects.filter(action="signin.succeeded", username="ana").exists()


def test_sign_in_locks_an_account_out_after_repeated_failures(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    three_parties()
    for _ in range(3):
        response = sign_in(client, "ana", "wrong")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    locked = sign_in(client, "ana", PASSWORD)  # even the right password is refused now
    assert locked.status_code == 200
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="signin.failed").count() == 3
    assert AuditEvent.objects.filter(action="signin.locked").count() == 1


def test_sign_in_failures_of_one_account_do_not_lock_another(client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    three_parties()
    for _ in range(2):
        sign_in(client, "pim", "wrong")
    assert sign_in(client, "ana", PASSWORD).status_code == 302


@pytest.mark.real_hasher
def test_passwords_are_hashed_with_argon2():
    three_parties()
    assert User.objects.get(username="ana").password.startswith("argon2")


def test_purpose_page_offers_the_purposes_of_the_users_agreements_and_records_the_choice(client):
    three_parties()
    client.login(username="ana", password=PASSWORD)
    page = client.get("/purpose/?next=/")
    assert 'value="community_safety"' in page.content.decode()
    refused = client.post("/purpose/", {"purpose": "marketing", "next": "/"})
    assert refused.status_code == 200 and "Choose one of the purposes" in refused.content.decode()
    assert "purpose" not in client.session
    chosen = client.post("/purpose/", {"purpose": "community_safety", "next": "/"})
    assert chosen.status_code == 302 and chosen["Location"] == "/"
    assert client.session["purpose"] == "community_safety"
    assert AuditEvent.objects.filter(
        action="session.purpose_stated", purpose="community_safety"
    ).exists()


def test_purpose_page_refuses_to_redirect_off_site(client):
    three_parties()
    client.login(username="ana", password=PASSWORD)
    response = client.post(
        "/purpose/", {"purpose": "community_safety", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_sign_in_events_are_filed_under_the_users_agency_and_sign_out_is_recorded(client):
    parties = three_parties()
    sign_in(client, "ana", "wrong")
    failed = AuditEvent.objects.get(action="signin.failed")
    assert failed.agency_id == parties["council"].id and failed.detail["username"] == "ana"
    sign_in(client, "ana", PASSWORD)
    assert AuditEvent.objects.get(action="signin.succeeded").agency_id == parties["council"].id
    client.post("/logout/")
    assert AuditEvent.objects.filter(action="signout", username="ana").exists()


def test_sign_in_keeps_the_whole_next_address_through_the_purpose_page(client):
    three_parties()
    response = client.post(
        "/login/?next=/audit/%3Fuser%3Dana%26action%3Dvalues",
        {"username": "ana", "password": PASSWORD},
    )
    assert response["Location"] == "/purpose/?next=%2Faudit%2F%3Fuser%3Dana%26action%3Dvalues"
