"""GET /tiles/{level}/{z}/{x}/{y}.mvt: boundary vector tiles (public geometry only)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from layers.domain.errors import DomainError
from layers.tiles import boundary_tile, cached_tile
from portal.problems import problem_for

MVT = "application/vnd.mapbox-vector-tile"


@require_GET
def tile(request: HttpRequest, level: str, z: str, x: str, y: str) -> HttpResponse:
    asked_version = request.GET.get("v", "")
    found = cached_tile(level, asked_version, int(z), int(x), int(y)) if asked_version else None
    if found is None:
        try:  # z, x, y are signed digits (urls.py), so a negative one gets a 400 here
            found = boundary_tile(level, int(z), int(x), int(y))
        except DomainError as error:
            return problem_for(error)
    # The boundary version changes on every load, so (version, level, z/x/y) names the
    # bytes exactly. A URL carrying the current version (?v=) may be cached for a year.
    etag = f'"{found.boundary_version}-{level}-{z}-{x}-{y}"'
    is_versioned = asked_version == found.boundary_version
    max_age = settings.TILE_MAX_AGE if is_versioned else settings.TILE_UNVERSIONED_MAX_AGE
    cache_control = f"public, max-age={max_age}" + (", immutable" if is_versioned else "")
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    elif not found.data:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(found.data, content_type=MVT)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["X-Tile-Cache"] = "hit" if found.is_cached else "miss"
    response["Access-Control-Allow-Origin"] = "*"  # public geometry, never a value
    return response
