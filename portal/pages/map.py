"""The map page: boundaries of a chosen level on a MapLibre GL map."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from layers.tiles import loaded_levels


def index(request: HttpRequest) -> HttpResponse:
    levels = loaded_levels()
    chosen = request.GET.get("level") or (levels[0].slug if levels else "")
    if levels and chosen not in {lv.slug for lv in levels}:
        chosen = levels[0].slug
    tile_template = reverse("tile", kwargs={"level": "LEVEL", "z": 0, "x": 0, "y": 0})
    config = {
        "levels": [asdict(lv) for lv in levels],
        "level": chosen,
        "tileUrl": tile_template.replace("LEVEL", "{level}").replace(
            "/0/0/0.mvt", "/{z}/{x}/{y}.mvt"
        ),
    }
    return render(
        request, "portal/map.html", {"levels": levels, "chosen": chosen, "config": config}
    )
