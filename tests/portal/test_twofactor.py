"""Two-factor sign-in: required for information managers, data stewards and staff,
optional for everyone else; TOTP enrolment with a QR code drawn here; recovery codes
stored hashed; API tokens unaffected."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from layers.models import AuditEvent, RecoveryCode
from layers.tokens import issue_token
from tests.builders import PASSWORD, three_parties
from tests.signin import authenticator_for, sign_in

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0 - steps_ahead * device.step, device.digits)
    return f"{value:0{device.digits}d}"


def password_step(client: Client, username: str):
    return client.post("/login/", {"username": username, "password": PASSWORD})


@pytest.fixture
def parties():
    return three_parties()


def test_an_information_manager_without_an_authenticator_must_enrol_before_anything(
    client, parties
):
    response = password_step(client, "pim")
    assert response["Location"].startswith("/account/two-factor/setup/?next=")
    blocked = client.get("/agreements/")
    assert blocked.status_code == 302
    assert blocked["Location"] == "/account/two-factor/setup/?next=%2Fagreements%2F"
    api = client.get("/api/v1/datasets/")  # the unverified session does not open the API
    assert api.status_code == 403 and api["Content-Type"] == "application/problem+json"
    assert "Two-factor" in api.json()["title"]


def test_enrolment_shows_a_qr_code_drawn_here_and_needs_a_code_from_the_app(client, parties):
    password_step(client, "pim")
    page = client.get("/account/two-factor/setup/").content.decode()
    assert '<svg width="' in page and 'class="qr-code"' in page  # inline SVG, no image host
    assert "otpauth" not in page  # the secret is in the picture and typed key only
    device = TOTPDevice.objects.get(user__username="pim", confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret) == device.bin_key

    wrong = client.post("/account/two-factor/setup/", {"code": "000000"})
    assert "not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user__username="pim", confirmed=True).exists()
    too_soon = client.post("/account/two-factor/setup/", {"code": code(device)})
    assert "Wait" in too_soon.content.decode()  # failures slow enrolment down too
    TOTPDevice.objects.filter(id=device.id).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5)
    )

    done = client.post("/account/two-factor/setup/", {"code": code(device), "next": "/audit/"})
    codes = re.findall(
        r"<code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code>", done.content.decode()
    )
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user__username="pim").confirmed
    assert client.get("/agreements/").status_code == 200  # this session is now verified
    stored = list(
        RecoveryCode.objects.filter(device__user__username="pim").values_list("digest", flat=True)
    )
    assert len(stored) == 10
    assert not any(c in d or c.replace("-", "") in d for c in codes for d in stored)  # hashed
    assert AuditEvent.objects.filter(action="twofactor.enrolled", username="pim").exists()


def test_a_user_with_an_authenticator_signs_in_with_password_then_code(client, parties):
    device = authenticator_for("pim")
    response = password_step(client, "pim")
    assert response["Location"].startswith("/account/two-factor/?next=")
    key_before = client.session.session_key
    wrong = client.post("/account/two-factor/", {"code": "123456", "next": "/agreements/"})
    assert "not right" in wrong.content.decode()
    assert client.get("/agreements/").status_code == 302
    # Straight after a failure the next try must wait, even with the right code.
    throttled = client.post("/account/two-factor/", {"code": code(device), "next": "/agreements/"})
    assert "Wait" in throttled.content.decode()
    TOTPDevice.objects.filter(id=device.id).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5)
    )
    ok = client.post("/account/two-factor/", {"code": code(device), "next": "/agreements/"})
    assert ok.status_code == 302 and ok["Location"] == "/agreements/"
    assert client.session.session_key != key_before  # a new session key at the new privilege
    assert client.get("/agreements/").status_code == 200
    actions = list(
        AuditEvent.objects.filter(action__startswith="twofactor.", username="pim")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["twofactor.failed", "twofactor.failed", "twofactor.verified"]


def test_a_code_is_accepted_only_once(parties):
    from layers import twofactor

    user = User.objects.get(username="pim")
    device = authenticator_for(user)
    same = code(device)
    assert twofactor.verify(user, same).device is not None
    assert twofactor.verify(user, same).device is None  # replayed


def test_a_recovery_code_signs_in_once(client, parties):
    from layers import twofactor

    user = User.objects.get(username="cim")
    device = authenticator_for(user)
    codes = twofactor.confirm_enrolment(user, device, code(device)).recovery_codes
    password_step(client, "cim")
    ok = client.post("/account/two-factor/", {"code": codes[3].lower(), "next": "/audit/"})
    assert ok["Location"] == "/audit/"
    event = AuditEvent.objects.filter(action="twofactor.verified").latest("id")
    assert event.detail == {"method": "recovery_code", "recovery_codes_left": 9}
    other = Client()
    password_step(other, "cim")
    again = other.post("/account/two-factor/", {"code": codes[3], "next": "/audit/"})
    assert "not right" in again.content.decode()


def test_renewing_recovery_codes_needs_a_verified_session_and_voids_the_old_ones(client, parties):
    from layers import twofactor

    user = User.objects.get(username="pim")
    device = authenticator_for(user)
    old = twofactor.confirm_enrolment(user, device, code(device)).recovery_codes
    password_step(client, "pim")  # password only
    assert client.post("/account/two-factor/codes/").status_code == 302
    sign_in(client, "pim")
    page = client.post("/account/two-factor/codes/").content.decode()
    new = re.findall(r"<code>([A-Z2-7-]{19})</code>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert twofactor.verify(user, old[0]).device is None
    assert twofactor.verify(user, new[0]).device is not None


def test_a_password_alone_cannot_move_an_authenticator_to_another_phone(client, parties):
    authenticator_for("pim")
    password_step(client, "pim")
    response = client.get("/account/two-factor/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/?")
    assert TOTPDevice.objects.filter(user__username="pim").count() == 1


def test_two_factor_is_optional_for_an_analyst_until_they_enrol(client, parties):
    assert password_step(client, "ana")["Location"].startswith("/purpose/")
    assert client.get("/uploads/").status_code == 200
    device = authenticator_for("ana")  # ana chose to enrol
    later = Client()
    assert password_step(later, "ana")["Location"].startswith("/account/two-factor/?")
    assert later.get("/uploads/").status_code == 302
    later.post("/account/two-factor/", {"code": code(device)})
    assert later.get("/uploads/").status_code == 200


def test_data_stewards_and_staff_need_the_second_factor_too(client, parties):
    from tests.builders import make_member

    make_member("sam", parties["police"], "data_steward")
    sign_in(client, "sam", verified=False)
    assert client.get("/uploads/")["Location"].startswith("/account/two-factor/setup/")
    root = User.objects.create_superuser("root", password=PASSWORD)
    admin = sign_in(Client(), root, verified=False)
    assert admin.get("/admin/")["Location"].startswith("/account/two-factor/setup/")
    assert sign_in(Client(), root).get("/admin/").status_code == 200


def test_api_tokens_are_not_affected_by_two_factor(parties):
    raw, _ = issue_token(User.objects.get(username="pim"), days=1)
    assert Client(HTTP_AUTHORIZATION=f"Token {raw}").get("/api/v1/datasets/").status_code == 200
    # Even alongside an unverified browser session of the same user.
    both = sign_in(Client(HTTP_AUTHORIZATION=f"Token {raw}"), "pim", verified=False)
    assert both.get("/api/v1/datasets/").status_code == 200
