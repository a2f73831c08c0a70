"""Sign-in lock-out: repeated failures for one account name lock it for a while."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from layers import audit
from layers.models import FailedLogin


def _window_start() -> object:
    return timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def is_locked_out(username: str) -> bool:
    recent = FailedLogin.objects.filter(username=username.lower(), at__gte=_window_start())
    return recent.count() >= settings.LOGIN_MAX_FAILURES


def _agency_for_name(username: str) -> int | None:
    user = User.objects.filter(username__iexact=username).first()
    return audit.home_agency_id(user)


def record_failure(username: str, ip: str | None) -> None:
    FailedLogin.objects.create(username=username.lower(), ip=ip)
    audit.record(
        action="signin.failed",
        agency_id=_agency_for_name(username),
        detail={"username": username[:150], "ip": ip},
    )


def record_locked(username: str, ip: str | None) -> None:
    audit.record(
        action="signin.locked",
        agency_id=_agency_for_name(username),
        detail={"username": username[:150], "ip": ip},
    )


def record_success(user: Any) -> None:
    FailedLogin.objects.filter(username=user.get_username().lower()).delete()
    audit.record(action="signin.succeeded", user=user, agency_id=audit.home_agency_id(user))


def record_signout(user: Any) -> None:
    audit.record(action="signout", user=user, agency_id=audit.home_agency_id(user))
