"""Celery wrappers for the portal's background work (thin)."""

from __future__ import annotations

from celery import shared_task

from portal.exports.bulk import build_zip


@shared_task
def build_profile_zip(job_id: int) -> int:
    """Make the ZIP of a profile export job; progress is kept on the job itself."""
    build_zip(job_id)
    return job_id
