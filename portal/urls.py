from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from portal.pages import accounts, agreements, tiles
from portal.pages import map as map_pages

urlpatterns = [
    path("", map_pages.index, name="map"),
    path("tiles/<slug:level>/<int:z>/<int:x>/<int:y>.mvt", tiles.tile, name="tile"),
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("purpose/", accounts.purpose, name="purpose"),
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
    path("audit/", agreements.audit_list, name="audit-list"),
    path("admin/", admin.site.urls),
]
