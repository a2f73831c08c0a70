"""Celery wrappers: thin, they call the same pipeline as the command and the API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from ingest.pipeline.publish import sweep_interrupted_releases
from ingest.pipeline.run import Options, run
from layers.models import Dataset


@shared_task(bind=True)
def ingest_upload(
    self: Any,
    path: str,
    dataset_id: int,
    options: dict[str, Any],
    user_id: int | None,
    file_name: str,
    commit: bool = True,
    size_hint: int = 0,
) -> dict[str, Any]:
    """Run the pipeline on an uploaded file; progress goes to the task's state."""
    dataset = Dataset.objects.get(id=dataset_id)
    user = User.objects.filter(id=user_id).first() if user_id else None

    def progress(n: int) -> None:
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"rows": n})

    try:
        result = run(
            Path(path),
            dataset,
            options=Options(**options),
            commit=commit,
            acting_user=user,
            file_name=file_name,
            on_progress=progress,
            size_hint=size_hint,
        )
    finally:
        Path(path).unlink(missing_ok=True)  # the pipeline kept its own copy
    release = result.release or result.duplicate_of
    return {
        "ok": result.ok,
        "committed": result.committed,
        "release": release.id if release is not None else None,
        "duplicate": result.duplicate_of is not None,
        "report": result.as_report(),
    }


@worker_ready.connect
def sweep_on_start(**_: Any) -> None:
    """A worker that starts sweeps what a dead one left (the same verb as
    `sweep_releases --commit`): releases it still holds are skipped by their lock."""
    try:
        sweep_interrupted_releases(
            older_than=timedelta(minutes=settings.INGEST_INTERRUPTED_AFTER_MINUTES),
            acting_user=None,
        )
    finally:
        connection.close()  # this thread's; a task opens its own
