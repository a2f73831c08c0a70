"""record(): the one writer of the append-only audit trail."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

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
