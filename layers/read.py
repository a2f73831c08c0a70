"""The one read path (DESIGN.md): decide access, then fetch, disclose and audit.

This first part is the access gate as the map, the API and exports will call it: it
loads the viewer's grants, asks the pure `decide`, and writes an audit event for every
refusal. The values half (fetch -> disclosure control -> audit) builds on it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from layers import audit, queries
from layers.domain.access import Decision, Use, decide
from layers.domain.errors import DomainError
from layers.models import Dataset, GeographyLevel


class AccessRefused(DomainError):
    """No agreement lets this viewer see this dataset at this level for this use."""

    code = "access_refused"

    def __init__(self, decision: Decision) -> None:
        super().__init__(f"access refused: {decision.reason.value}")
        self.decision = decision


def decide_access(
    user: Any, dataset: Dataset, level: GeographyLevel, *, use: Use, purpose: str | None
) -> Decision:
    """Gate 1 for a signed-in user (or token holder); a refusal is audited and raised."""
    viewer = queries.viewer_for(user)
    ref = queries.dataset_ref(dataset)
    decision = decide(
        viewer=viewer,
        dataset=ref,
        level=level.as_domain(),
        use=use,
        purpose=purpose,
        on=timezone.localdate(),
        grants=queries.grants_for(viewer, ref),
    )
    if not decision.allowed:
        agency = viewer.memberships[0].agency_id if viewer.memberships else None
        audit.record(
            action="access.refused",
            outcome=decision.reason.value,
            user=user,
            agency_id=agency,
            dataset_id=dataset.id,
            level=level.slug,
            use=use.value,
            purpose=purpose,
        )
        raise AccessRefused(decision)
    return decision
