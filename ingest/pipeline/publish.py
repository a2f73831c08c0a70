"""Publish, supersede and withdraw releases. Each is one transaction with its audit
event; at most one release of a dataset is published (a partial unique index)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ingest.pipeline.store import drop_leftover_table, is_abandoned
from layers import audit
from layers.models import Release
from layers.protection import protect_after_commit


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
    protect_after_commit([release.dataset_id])
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
    if restored is not None:  # agreements may have changed since it was current
        protect_after_commit([release.dataset_id])
    return restored


INTERRUPTED = (
    "interrupted: the upload stopped before it finished (the worker was stopped or "
    "crashed); nothing was published. Upload the file again."
)


def interrupted_releases(*, older_than: timedelta) -> list[Release]:
    """Releases still `validating` that were uploaded more than `older_than` ago."""
    cutoff = timezone.now() - older_than
    return list(
        Release.objects.filter(status=Release.Status.VALIDATING, uploaded_at__lt=cutoff)
        .select_related("dataset")
        .order_by("uploaded_at", "id")
    )


def sweep_interrupted_releases(*, older_than: timedelta, acting_user: Any) -> list[Release]:
    """Mark releases left `validating` by a dead worker as `rejected` ("interrupted"),
    drop any table of values they left, and audit each. A release an upload still works
    on (it holds the release's advisory lock) is left alone, however old."""
    swept = []
    for candidate in interrupted_releases(older_than=older_than):
        with transaction.atomic():
            release = (
                Release.objects.select_for_update(skip_locked=True)
                .filter(id=candidate.id, status=Release.Status.VALIDATING)
                .first()
            )
            if release is None or not is_abandoned(release.id):
                continue
            dropped = drop_leftover_table(release.id)
            release.status = Release.Status.REJECTED
            release.n_problems = 1
            release.report = {
                **(release.report or {}),
                "summary": f"Interrupted {release.dataset.slug} from {release.file_name}",
                "n_problems": 1,
                "problems": [{"row": None, "column": None, "value": None, "message": INTERRUPTED}],
            }
            release.save(update_fields=["status", "n_problems", "report"])
            audit.record(
                action="release.rejected",
                user=acting_user,
                agency_id=candidate.dataset.owner_id,
                dataset_id=release.dataset_id,
                detail={
                    "release": release.id,
                    "reason": "interrupted",
                    "dropped_table": dropped,
                },
            )
            swept.append(release)
    return swept
