"""Signing in test users. Use these, not client.login / client.force_login, for anyone who
may need the second factor (information managers, data stewards, staff): the portal sends
an unverified session of theirs to the two-factor page (portal.middleware.TwoFactorMiddleware).

- `sign_in(client, user)`: a signed-in session that has passed the second factor (an
  authenticator is enrolled for the user if they have none), as after the real sign-in.
- `session_cookie(user)`: the same for a browser (Playwright `context.add_cookies`).
- `sign_in(client, user, verified=False)`: password step only, to test the gate itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def _user(user: User | str) -> User:
    return user if isinstance(user, User) else User.objects.get(username=user)


def authenticator_for(user: User | str) -> TOTPDevice:
    """The user's confirmed authenticator, enrolled now if they have none."""
    user = _user(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def sign_in(client: Client, user: User | str, *, verified: bool = True) -> Client:
    user = _user(user)
    client.force_login(user)
    if verified:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
        session.save()
    return client


def session_cookie(user: User | str, *, domain: str = "127.0.0.1") -> dict[str, Any]:
    """A verified session for a browser: pass to `context.add_cookies([...])`."""
    user = _user(user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.create()
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": session.session_key,
        "domain": domain,
        "path": "/",
    }
