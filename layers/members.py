"""The memberships a request acts under.

A signed-in person acts for every agency they belong to. A request made with an API
token acts for the token's agency only (layers.tokens sets `token_agency_id` on the user
it authenticates), so every place that asks "which agencies is this caller?" asks here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from layers.models import Membership


def memberships_of(user: Any) -> QuerySet[Membership]:
    """The caller's memberships, narrowed to the token's agency for token requests."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    rows = Membership.objects.filter(user_id=user.id)
    scope = getattr(user, "token_agency_id", None)
    return rows.filter(agency_id=scope) if scope is not None else rows


def agency_ids_of(user: Any) -> set[int]:
    return set(memberships_of(user).values_list("agency_id", flat=True))
