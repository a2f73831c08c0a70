"""Celery wrappers for the domain's background work (thin: they call layers functions)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.conf import settings

from layers.models import Release
from layers.protection import protect_release
from layers.tiles import warm_level


@shared_task
def warm_tiles(slug: str) -> dict[str, Any]:
    """Render a level's tiles into the cache after its boundaries changed."""
    return asdict(
        warm_level(slug, min_zoom=settings.TILE_WARM_MIN_ZOOM, max_zoom=settings.TILE_WARM_MAX_ZOOM)
    )


@shared_task
def protect_current_releases(dataset_ids: list[int]) -> dict[str, Any]:
    """Compute the protected tables of each dataset's current release (after a publish,
    a withdrawal, or a change to an agreement's terms)."""
    done: dict[str, Any] = {}
    for release in Release.objects.filter(
        dataset_id__in=dataset_ids, status=Release.Status.PUBLISHED
    ).select_related("dataset"):
        n_new, n_kept = protect_release(release)
        done[release.dataset.slug] = {"release": release.id, "computed": n_new, "kept": n_kept}
    return done
