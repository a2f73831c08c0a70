"""Sessions end after inactivity, after a maximum age, and (all others) on a password
change."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from layers.models import AuditEvent
from tests.builders import PASSWORD, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana_client():
    three_parties()
    client = Client()
    assert client.login(username="ana", password=PASSWORD)
    return client


def set_session(client: Client, **values: int) -> None:
    session = client.session
    session.update(values)
    session.save()


def test_a_session_used_within_the_idle_timeout_stays_signed_in(ana_client, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    assert ana_client.get("/uploads/").status_code == 200
    set_session(ana_client, last_seen=int(time.time()) - 1700)
    assert ana_client.get("/uploads/").status_code == 200
    assert ana_client.session["last_seen"] >= int(time.time()) - 5  # refreshed


def test_a_session_idle_for_longer_than_the_timeout_is_ended(ana_client, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    ana_client.get("/uploads/")
    set_session(ana_client, last_seen=int(time.time()) - 1801)
    response = ana_client.get("/uploads/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in ana_client.session
    event = AuditEvent.objects.get(action="session.expired")
    assert event.username == "ana" and event.detail == {"reason": "idle"}


def test_a_busy_session_still_ends_at_its_maximum_age(ana_client, settings):
    settings.SESSION_MAX_AGE = 8 * 3600
    ana_client.get("/uploads/")
    set_session(ana_client, signed_in_at=int(time.time()) - 8 * 3600 - 1)
    assert ana_client.get("/uploads/").status_code == 302
    assert AuditEvent.objects.get(action="session.expired").detail == {"reason": "max_age"}


def test_changing_the_password_ends_every_other_session_of_the_user(settings):
    three_parties()
    laptop, phone, other_user = Client(), Client(), Client()
    assert laptop.login(username="ana", password=PASSWORD)
    assert phone.login(username="ana", password=PASSWORD)
    sign_in(other_user, "cim")  # an information manager, past the second factor
    response = laptop.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase-7",
            "new_password2": "a-brand-new-passphrase-7",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/uploads/").status_code == 200  # the session that changed it stays
    assert phone.get("/uploads/").status_code == 302  # every other one has ended
    assert "_auth_user_id" not in phone.session
    assert other_user.get("/uploads/").status_code == 200  # other users are untouched
    event = AuditEvent.objects.get(action="password.changed")
    assert event.username == "ana" and event.detail == {"user": "ana", "source": "self"}
    assert "a-brand-new-passphrase-7" not in str(event.detail)


def test_a_weak_new_password_is_refused(ana_client):
    response = ana_client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not AuditEvent.objects.filter(action="password.changed").exists()
