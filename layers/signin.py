"""Sign-in lock-out: repeated failures for one account name lock it for a while."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from layers import audit
from layers.models import FailedLogin


def _window_start() -> object:
    return timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def is_locked_out(username: str) -> bool:
    recent = FailedLogin.objects.filter(username=username.lower(), at__gte=_window_start())
    return recent.count() >= settings.LOGIN_MAX_FAILURES


def record_failure(username: str, ip: str | None) -> None:
    FailedLogin.objects.create(username=username.lower(), ip=ip)
    audit.record(action="signin.failed", detail={"username": username[:150], "ip": ip})


def record_success(user: object) -> None:
    FailedLogin.objects.filter(username=user.get_username().lower()).delete()  # type: ignore[attr-defined]
    audit.record(action="signin.succeeded", user=user)
