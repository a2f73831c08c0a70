"""Who may upload and read releases, for pages and the API (rules in layers.domain)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from layers import queries
from layers.domain.access import may_publish, may_read_releases
from layers.models import Dataset, Release


def publishable_datasets(user: Any) -> QuerySet[Dataset]:
    viewer = queries.viewer_for(user)
    ids = [
        d.id
        for d in Dataset.objects.select_related("owner")
        if may_publish(viewer, queries.dataset_ref(d))
    ]
    return Dataset.objects.filter(id__in=ids).select_related("owner", "level")


def can_publish(user: Any, dataset: Dataset) -> bool:
    return may_publish(queries.viewer_for(user), queries.dataset_ref(dataset))


def readable_releases(user: Any) -> QuerySet[Release]:
    viewer = queries.viewer_for(user)
    ids = [d.id for d in Dataset.objects.all() if may_read_releases(viewer, queries.dataset_ref(d))]
    return Release.objects.filter(dataset_id__in=ids).select_related("dataset", "uploaded_by")
