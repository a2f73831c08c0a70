from __future__ import annotations

from django.urls import path, re_path
from django.views.decorators.gzip import gzip_page
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.v1 import catalogue, concerns, custom_areas, errors, profile, public, releases, values

# Figures travel compressed (gzip_page); pages with CSRF tokens are left alone (BREACH).
urlpatterns = [
    path("levels/", gzip_page(catalogue.Levels.as_view()), name="api-levels"),
    path("areas/", gzip_page(catalogue.Areas.as_view()), name="api-areas"),
    path("areas/<str:code>/", gzip_page(catalogue.AreaDetail.as_view()), name="api-area"),
    path(
        "areas/<str:code>/profile/",
        gzip_page(profile.AreaProfile.as_view()),
        name="api-area-profile",
    ),
    path("custom-areas/", custom_areas.CustomAreas.as_view(), name="api-custom-areas"),
    path(
        "custom-areas/<str:code>/",
        custom_areas.CustomAreaDetail.as_view(),
        name="api-custom-area",
    ),
    path("datasets/", gzip_page(catalogue.Datasets.as_view()), name="api-datasets"),
    path("indicators/", gzip_page(catalogue.Indicators.as_view()), name="api-indicators"),
    path(
        "indicators/<slug:slug>/values/",
        gzip_page(values.IndicatorValues.as_view()),
        name="api-values",
    ),
    # The public API: no sign-in, read-only, throttled (api/v1/public.py).
    path(
        "public/indicators/",
        gzip_page(public.PublicIndicators.as_view()),
        name="api-public-indicators",
    ),
    path(
        "public/indicators/<slug:slug>/values/",
        gzip_page(public.PublicIndicatorValues.as_view()),
        name="api-public-values",
    ),
    path(
        "public/areas/<str:code>/profile/",
        gzip_page(public.PublicAreaProfile.as_view()),
        name="api-public-area-profile",
    ),
    path(
        "indicators/<slug:slug>/concerns/",
        gzip_page(concerns.IndicatorConcerns.as_view()),
        name="api-concerns",
    ),
    path("agreements/mine/", catalogue.MyAgreements.as_view(), name="api-my-agreements"),
    path(
        "datasets/<slug:slug>/releases/",
        releases.DatasetReleases.as_view(),
        name="api-dataset-releases",
    ),
    path("releases/<slug:release_id>/", releases.ReleaseDetail.as_view(), name="api-release"),
    path("schema/", SpectacularAPIView.as_view(api_version="1"), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Last: anything else under /api/v1/ is a problem+json 404, not the site's HTML page.
    re_path(r"^(?P<rest>[\s\S]*)$", errors.no_such_endpoint, name="api-not-found"),
]
