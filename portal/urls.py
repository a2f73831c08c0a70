from __future__ import annotations

from django.contrib import admin
from django.urls import path

from portal.pages import map as map_pages
from portal.pages import tiles

urlpatterns = [
    path("", map_pages.index, name="map"),
    path("tiles/<slug:level>/<int:z>/<int:x>/<int:y>.mvt", tiles.tile, name="tile"),
    path("admin/", admin.site.urls),
]
