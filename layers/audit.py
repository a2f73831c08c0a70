"""record(): the one writer of the append-only audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q

from layers.models import AuditEvent

# Set per request by portal.middleware.RequestIdMiddleware; every event carries it.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


def record(
    *,
    action: str,
    user: Any = None,
    agency_id: int | None = None,
    outcome: str = "",
    dataset_id: int | None = None,
    level: str = "",
    agreement_ref: str | None = None,
    agreement_version: int | None = None,
    use: str = "",
    purpose: str | None = None,
    n_returned: int = 0,
    n_withheld: int = 0,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `detail` must never hold a withheld figure."""
    is_user = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user_id=user.id if is_user else None,
        username=user.get_username() if is_user else "",
        agency_id=agency_id,
        action=action,
        outcome=outcome,
        dataset_id=dataset_id,
        level=level,
        agreement_ref=agreement_ref or "",
        agreement_version=agreement_version,
        use=use,
        purpose=purpose or "",
        n_returned=n_returned,
        n_withheld=n_withheld,
        request_id=current_request_id.get(),
        detail=detail or {},
    )


def home_agency_id(user: Any) -> int | None:
    """The agency events about `user` are filed under (their first membership), so that
    agency's information managers find them in the audit trail."""
    if user is None or not getattr(user, "pk", None):
        return None
    from layers.models import Membership

    return (
        Membership.objects.filter(user_id=user.pk)
        .order_by("id")
        .values_list("agency_id", flat=True)
        .first()
    )


def plain(value: Any) -> Any:
    """A value as it should read in an audit event: records by slug (or name), collections
    as sorted lists, dates as ISO text. Detail is JSON, and a reader should not need ids."""
    if isinstance(value, Model):
        return getattr(value, "slug", None) or getattr(value, "username", None) or str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Iterable):
        return sorted((plain(v) for v in value), key=str)
    return str(value)


def changed_fields(obj: Model, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields of `obj` that `values` would change."""
    return {
        name: [plain(getattr(obj, name)), plain(new)]
        for name, new in values.items()
        if getattr(obj, name) != new
    }


def events_visible_to(user: Any) -> Any:
    """Audit events an information manager may read: those of their agencies, and those
    under agreements their agencies provide or receive."""
    from layers.agreements import managed_agency_ids, visible_agreements

    agencies = managed_agency_ids(user)
    refs = list(visible_agreements(user).values_list("reference", flat=True))
    # A read under several agreements (an area profile) names them all in its detail.
    return AuditEvent.objects.filter(
        Q(agency_id__in=agencies)
        | Q(agreement_ref__in=refs)
        | Q(detail__agreements__has_any_keys=refs)
    )


def filter_events(
    events: Any,
    *,
    agreement: str = "",
    agency: str = "",
    user: str = "",
    action: str = "",
    date_from: Any = None,
    date_to: Any = None,
) -> Any:
    if agreement:
        ref = agreement.strip()
        events = events.filter(Q(agreement_ref__iexact=ref) | Q(detail__agreements__contains=[ref]))
    if agency:
        events = events.filter(agency__slug=agency)
    if user:
        events = events.filter(username__iexact=user.strip())
    if action:
        events = events.filter(action__istartswith=action.strip())
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_to:
        events = events.filter(at__date__lte=date_to)
    return events.select_related("agency", "dataset").order_by("-at", "-id")
