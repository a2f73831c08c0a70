"""Celery wrappers for the domain's background work (thin: they call layers functions)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.conf import settings

from layers.tiles import warm_level


@shared_task
def warm_tiles(slug: str) -> dict[str, Any]:
    """Render a level's tiles into the cache after its boundaries changed."""
    return asdict(
        warm_level(slug, min_zoom=settings.TILE_WARM_MIN_ZOOM, max_zoom=settings.TILE_WARM_MAX_ZOOM)
    )
