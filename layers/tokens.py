"""API tokens: random, shown once, stored as a sha256 digest, expiring and revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from layers import audit
from layers.models import ApiToken

PREFIX = "cg_"


class TokenRefused(Exception):
    """The token is unknown, expired or revoked; `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_token(user: User, *, days: int | None, acting_user: Any = None) -> tuple[str, ApiToken]:
    """A new token for `user`; the raw value is returned here and never stored."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        prefix=raw[: len(PREFIX) + 8],
        digest=_digest(raw),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    audit.record(
        action="token.issued",
        user=acting_user,
        agency_id=audit.home_agency_id(user),
        detail={
            "for": user.get_username(),
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return raw, token


def user_for_token(raw: str) -> User:
    """The user a presented token belongs to, or TokenRefused."""
    token = (
        ApiToken.objects.select_related("user").filter(digest=_digest(raw.strip())).first()
        if raw
        else None
    )
    if token is None:
        raise TokenRefused("token_unknown")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused("token_expired")
    if not token.user.is_active:
        raise TokenRefused("user_inactive")
    ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    return token.user


@transaction.atomic
def revoke_token(prefix: str, *, acting_user: Any = None) -> int:
    """Revoke the live tokens with this prefix; one audit event per token revoked."""
    live = list(
        ApiToken.objects.select_for_update()
        .select_related("user")
        .filter(prefix=prefix, revoked_at=None)
    )
    now = timezone.now()
    for token in live:
        ApiToken.objects.filter(id=token.id).update(revoked_at=now)
        audit.record(
            action="token.revoked",
            user=acting_user,
            agency_id=audit.home_agency_id(token.user),
            detail={"for": token.user.get_username(), "prefix": prefix},
        )
    return len(live)
