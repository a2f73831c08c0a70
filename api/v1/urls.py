from __future__ import annotations

from django.urls import path

from api.v1 import releases

urlpatterns = [
    path(
        "datasets/<slug:slug>/releases/",
        releases.DatasetReleases.as_view(),
        name="api-dataset-releases",
    ),
    path("releases/<int:release_id>/", releases.ReleaseDetail.as_view(), name="api-release"),
]
