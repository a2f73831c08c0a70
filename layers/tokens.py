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
from layers.models import Agency, ApiToken, Membership

PREFIX = "cg_"


class TokenScopeError(ValueError):
    """The agency asked for is not one of the user's (or the user has several and none was
    named); the message says which agencies are possible."""


class TokenRefused(Exception):
    """The token is unknown, expired or revoked; `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _scope(user: User, agency: str | None) -> Agency:
    mine = list(
        Agency.objects.filter(
            id__in=Membership.objects.filter(user=user).values("agency_id")
        ).order_by("slug")
    )
    slugs = ", ".join(a.slug for a in mine)
    if not mine:
        raise TokenScopeError(f"{user.get_username()} belongs to no agency: a token acts for one")
    if agency is None:
        if len(mine) > 1:
            raise TokenScopeError(
                f"{user.get_username()} belongs to several agencies ({slugs}): name the one "
                "the token acts for"
            )
        return mine[0]
    for candidate in mine:
        if candidate.slug == agency:
            return candidate
    raise TokenScopeError(f"{user.get_username()} is not a member of {agency!r} (only {slugs})")


@transaction.atomic
def issue_token(
    user: User, *, days: int | None, agency: str | None = None, acting_user: Any = None
) -> tuple[str, ApiToken]:
    """A new token for `user`, acting for one of their agencies (`agency`, a slug; may be
    left out when they have only one). The raw value is returned here and never stored."""
    scope = _scope(user, agency)
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        agency=scope,
        prefix=raw[: len(PREFIX) + 8],
        digest=_digest(raw),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    audit.record(
        action="token.issued",
        user=acting_user,
        agency_id=scope.id,
        detail={
            "for": user.get_username(),
            "agency": scope.slug,
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
    if token.agency_id is None:  # issued before tokens were scoped: issue a new one
        raise TokenRefused("token_unscoped")
    if not Membership.objects.filter(user_id=token.user_id, agency_id=token.agency_id).exists():
        raise TokenRefused("token_agency_left")
    ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    user = token.user
    # This request acts for the token's agency only (layers.members.memberships_of).
    user.token_agency_id = token.agency_id  # type: ignore[attr-defined]
    return user


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
