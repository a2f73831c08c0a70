"""Find a geography level by slug, with a message that lists the known ones."""

from __future__ import annotations

from layers.models import GeographyLevel


class UnknownLevel(Exception):
    pass


def level_by_slug(slug: str) -> GeographyLevel:
    try:
        return GeographyLevel.objects.get(slug=slug)
    except GeographyLevel.DoesNotExist:
        known = ", ".join(GeographyLevel.objects.values_list("slug", flat=True))
        raise UnknownLevel(f"unknown level {slug!r}; known levels: {known}") from None
