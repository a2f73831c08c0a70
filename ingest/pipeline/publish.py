"""Publish, supersede and withdraw releases. Each is one transaction with its audit
event; at most one release of a dataset is published (a partial unique index)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from layers import audit
from layers.models import Release


def publish_release(release: Release, *, acting_user: Any) -> Release | None:
    """Make `release` current; the one it replaces becomes superseded (and is returned).
    Call inside the transaction that stored the release's values."""
    previous = (
        Release.objects.select_for_update()
        .filter(dataset_id=release.dataset_id, status=Release.Status.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.status = Release.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    release.status = Release.Status.PUBLISHED
    release.published_at = timezone.now()
    release.save()
    audit.record(
        action="release.published",
        user=acting_user,
        agency_id=release.dataset.owner_id,
        dataset_id=release.dataset_id,
        n_returned=release.n_values,
        detail={
            "release": release.id,
            "superseded": previous.id if previous else None,
            "sha256": release.file_sha256,
        },
    )
    return previous


@transaction.atomic
def withdraw_release(release: Release, *, reason: str, acting_user: Any) -> Release | None:
    """Withdraw a published release; the most recent superseded one becomes current again
    (and is returned). Withdrawing a release that is not current just marks it."""
    release = Release.objects.select_for_update().get(id=release.id)
    if release.status not in (Release.Status.PUBLISHED, Release.Status.SUPERSEDED):
        raise ValueError(
            f"release {release.id} is {release.status}: only a published or "
            "superseded release can be withdrawn"
        )
    was_current = release.status == Release.Status.PUBLISHED
    release.status = Release.Status.WITHDRAWN
    release.withdrawn_at = timezone.now()
    release.withdrawn_reason = reason[:300]
    release.save()
    restored = None
    if was_current:
        restored = (
            Release.objects.select_for_update()
            .filter(dataset_id=release.dataset_id, status=Release.Status.SUPERSEDED)
            .order_by("-published_at", "-id")
            .first()
        )
        if restored is not None:
            restored.status = Release.Status.PUBLISHED
            restored.save(update_fields=["status"])
    audit.record(
        action="release.withdrawn",
        user=acting_user,
        agency_id=release.dataset.owner_id,
        dataset_id=release.dataset_id,
        detail={
            "release": release.id,
            "reason": reason[:300],
            "restored": restored.id if restored else None,
        },
    )
    return restored
