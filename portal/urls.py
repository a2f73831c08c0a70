from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path

from portal.pages import (
    accounts,
    agreements,
    concerns,
    custom_areas,
    health,
    priorities,
    products,
    profiles,
    public,
    tiles,
    twofactor,
    uploads,
)
from portal.pages import map as map_pages

urlpatterns = [
    path("", map_pages.index, name="map"),
    path("map/values/", map_pages.values, name="map-values"),
    path("map/search/", map_pages.search, name="map-search"),
    path("map/area/", map_pages.area, name="map-area"),
    path("map/export.csv", map_pages.export_csv, name="map-export-csv"),
    path("map/export/png/", map_pages.export_png, name="map-export-png"),
    path("map/concerns/", concerns.concerns_json, name="map-concerns"),
    path("concerns/", concerns.concerns_page, name="concerns"),
    path("healthz", health.healthz, name="healthz"),
    # Informing the public: no sign-in; only what agreements publish to the public.
    path("public/", public.index, name="public"),
    path("public/map/", public.public_map, name="public-map"),
    path("public/map/values/", public.PublicMapValues.as_view(), name="public-map-values"),
    path("public/map/area/", public.PublicMapArea.as_view(), name="public-map-area"),
    path("public/map/search/", public.PublicMapSearch.as_view(), name="public-map-search"),
    path("public/areas/<slug:level>/<str:code>/", public.profile, name="public-profile"),
    # Signed numbers, so a negative z/x/y reaches the view and gets its 400.
    re_path(
        r"^tiles/(?P<level>[-\w]+)/(?P<z>-?\d+)/(?P<x>-?\d+)/(?P<y>-?\d+)\.mvt$",
        tiles.tile,
        name="tile",
    ),
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("logout/", accounts.SignOutView.as_view(), name="logout"),
    path("purpose/", accounts.purpose, name="purpose"),
    path("account/", twofactor.account, name="account"),
    path("account/password/", accounts.PasswordChangeView.as_view(), name="password-change"),
    path("account/two-factor/", twofactor.verify, name="two-factor"),
    path("account/two-factor/setup/", twofactor.setup, name="two-factor-setup"),
    path("account/two-factor/codes/", twofactor.renew_codes, name="two-factor-codes"),
    path("agreements/", agreements.agreement_list, name="agreement-list"),
    path("agreements/new/", agreements.agreement_new, name="agreement-new"),
    path("agreements/<str:reference>/", agreements.agreement_detail, name="agreement-detail"),
    path("agreements/<str:reference>/edit/", agreements.agreement_edit, name="agreement-edit"),
    path(
        "agreements/<str:reference>/suspend/",
        agreements.agreement_suspend,
        name="agreement-suspend",
    ),
    path("agreements/<str:reference>/renew/", agreements.agreement_renew, name="agreement-renew"),
    path(
        "agreements/<str:reference>/v<int:version>/",
        agreements.agreement_version,
        name="agreement-version",
    ),
    path(
        "agreements/<str:reference>/v<int:version>/document/",
        agreements.agreement_document,
        name="agreement-document",
    ),
    path("agreements/<str:reference>/usage/", agreements.agreement_usage, name="agreement-usage"),
    path("audit/", agreements.audit_list, name="audit-list"),
    path("products/", products.product_list, name="product-list"),
    path("products/new/", products.product_new, name="product-new"),
    path("products/<str:public_id>/", products.product_detail, name="product-detail"),
    path("products/<str:public_id>/edit/", products.product_edit, name="product-edit"),
    path("products/<str:public_id>/outcome/", products.product_outcome, name="product-outcome"),
    path("uploads/", uploads.upload_list, name="upload-list"),
    path("uploads/jobs/<str:task_id>/", uploads.upload_job, name="upload-job"),
    path("uploads/jobs/<str:task_id>.json", uploads.upload_job_status, name="upload-job-status"),
    path("uploads/<slug:release_id>/", uploads.upload_report, name="upload-report"),
    path("uploads/<slug:release_id>/withdraw/", uploads.upload_withdraw, name="upload-withdraw"),
    path("priorities/", priorities.priorities_page, name="priorities"),
    path("priorities/export/", priorities.priorities_export, name="priorities-export"),
    path("profiles/", profiles.profile_index, name="profile-index"),
    path("profiles/bulk/", profiles.bulk_new, name="profile-bulk"),
    path(
        "profiles/bulk/<str:public_id>.json", profiles.bulk_job_status, name="profile-bulk-status"
    ),
    path("profiles/bulk/<str:public_id>/", profiles.bulk_job, name="profile-bulk-job"),
    path(
        "profiles/bulk/<str:public_id>/download/",
        profiles.bulk_download,
        name="profile-bulk-download",
    ),
    path("profiles/custom/<str:public_id>/", profiles.custom_profile_page, name="profile-custom"),
    path(
        "profiles/custom/<str:public_id>/export/",
        profiles.custom_profile_export,
        name="profile-custom-export",
    ),
    path("profiles/<slug:level>/<str:code>/", profiles.profile_page, name="profile"),
    path(
        "profiles/<slug:level>/<str:code>/export/", profiles.profile_export, name="profile-export"
    ),
    path("custom-areas/", custom_areas.custom_area_list, name="custom-area-list"),
    path("custom-areas/new/", custom_areas.custom_area_new, name="custom-area-new"),
    path("custom-areas/snap/", custom_areas.custom_area_snap, name="custom-area-snap"),
    path(
        "custom-areas/<str:public_id>/edit/",
        custom_areas.custom_area_edit,
        name="custom-area-edit",
    ),
    path(
        "custom-areas/<str:public_id>/delete/",
        custom_areas.custom_area_delete,
        name="custom-area-delete",
    ),
    path("api/v1/", include("api.v1.urls")),
    path("admin/", admin.site.urls),
]

# Errors with DEBUG off: pages for people, problem+json under /api/, never the exception.
handler400 = "portal.pages.errors.bad_request"
handler403 = "portal.pages.errors.permission_denied"
handler404 = "portal.pages.errors.page_not_found"
handler500 = "portal.pages.errors.server_error"
