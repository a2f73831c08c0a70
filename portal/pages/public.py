"""Informing the public: pages anyone may open without signing in. What is shown is only
what an agreement with the use `public` publishes, under that agreement's disclosure
policy, read through the one read path as use `public` (layers.read; audited with no
user). A signed-in user sees exactly what anyone sees here.

- /public/: what is published, where it comes from, and the policy in plain words;
- /public/map/: the analyst's map (static/portal/map.js) in its public mode;
- /public/areas/<level>/<code>/: an area's public profile (layers.profile).

The map's JSON endpoints are the public API's kind of view (api.v1.public.PublicView):
no authentication, read-only, throttled per address. The pages themselves share that
allowance (`throttled`): a public profile costs as much as an API call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from rest_framework.request import Request

from api.v1.public import PublicRateThrottle, PublicView
from layers.catalogue import public_catalogue
from layers.domain.access import Reason, Use
from layers.domain.errors import NotFound, ParamError
from layers.geography import areas_named, search_areas
from layers.locator import locator
from layers.profile import area_profile, find_area, provenance
from layers.read import AccessRefused, public_indicator
from layers.tiles import loaded_levels
from portal.exports.document import build_document
from portal.pages.map import THEME_NAMES, _map_query, area_payload, map_config, map_payload

PUBLIC_VIEWER = "the public"


class PageThrottle(PublicRateThrottle):
    """The public API's allowance per address, for the public pages, whoever asks (the
    API's throttle leaves signed-in users alone; a page here is the same work for them)."""

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page, refused with 429 and a short page saying when to come back once its
    address has used the public allowance (PUBLIC_API_THROTTLE_RATE)."""

    @wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = PageThrottle()
        if throttle.allow_request(request, None):
            return view(request, *args, **kwargs)
        wait = max(1, int(throttle.wait() or 1))
        response = render(
            request,
            "portal/error.html",
            {
                "status": 429,
                "title": "Too many requests",
                "detail": f"Too many pages from your address in a short time: please try "
                f"again in {wait} seconds.",
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response

    return page


def _themes(catalogue: list[dict[str, Any]], loaded: set[str]) -> list[dict[str, Any]]:
    """The map's pickers over what is published to the public (loaded levels only)."""
    themes: dict[str, list[dict[str, Any]]] = {}
    for entry in catalogue:
        dataset, decision = entry["dataset"], entry["decision"]
        indicators = [
            {
                "slug": e["indicator"].slug,
                "name": e["indicator"].name,
                "measure": e["indicator"].measure,
                "unit": e["indicator"].unit,
                "polarity": e["indicator"].polarity,
                "levels": [slug for slug in e["levels"] if slug in loaded],
                "periods": e["periods"],
            }
            for e in entry["indicators"]
        ]
        indicators = [i for i in indicators if i["levels"]]
        if indicators:
            themes.setdefault(dataset.theme, []).append(
                {
                    "slug": dataset.slug,
                    "title": dataset.title,
                    "owner": dataset.owner.name,
                    "simulated": dataset.is_simulated,
                    "can_export": False,
                    "agreements": [decision.agreement_ref],
                    "indicators": indicators,
                }
            )
    return [
        {"slug": slug, "name": THEME_NAMES.get(slug, slug.title()), "datasets": datasets}
        for slug, datasets in sorted(themes.items(), key=lambda kv: THEME_NAMES.get(kv[0], ""))
    ]


@require_GET
@throttled
def index(request: HttpRequest) -> HttpResponse:
    """GET /public/: the published datasets and indicators, their sources and policies,
    and a finder for an area's public profile."""
    catalogue = public_catalogue()
    names = {lv.slug: lv.name for lv in loaded_levels()}
    query = request.GET.get("q", "").strip()
    levels = {lv for entry in catalogue for e in entry["indicators"] for lv in e["levels"]}
    found = [a for a in areas_named(query) if a.level.slug in levels] if query else []
    entries = [
        {
            **entry,
            "policy_words": entry["decision"].policy.in_plain_words(),
            "level_names": sorted(
                {names.get(lv, lv) for e in entry["indicators"] for lv in e["levels"]},
                key=lambda name: list(names.values()).index(name) if name in names.values() else 99,
            ),
            "theme_name": THEME_NAMES.get(entry["dataset"].theme, entry["dataset"].theme),
        }
        for entry in catalogue
    ]
    return render(
        request,
        "portal/public/index.html",
        {"entries": entries, "query": query, "found": found},
    )


@require_GET
@throttled
def public_map(request: HttpRequest) -> HttpResponse:
    """GET /public/map/: the map in its public mode."""
    levels = loaded_levels()
    themes = _themes(public_catalogue(), {lv.slug for lv in levels})
    config = map_config(
        levels,
        themes,
        purpose=None,
        user="",
        public=True,
        urls={
            "values": reverse("public-map-values"),
            "search": reverse("public-map-search"),
            "area": reverse("public-map-area"),
            "csv": None,
            "png": None,
            "areaGeometry": None,
        },
    )
    return render(request, "portal/map.html", {"config": config, "public": True})


def _public_only(error: AccessRefused, indicator: str) -> Exception:
    """A public read refused for anything but the level: as if the indicator were not
    there (the public learns nothing of what is not published to it)."""
    if error.decision.reason is Reason.LEVEL_TOO_FINE:
        return error
    return NotFound(f"no public indicator {indicator!r}", parameter="indicator")


class PublicMapValues(PublicView):
    """GET /public/map/values/: one public map view's figures (as /map/values/)."""

    schema = None  # a page's endpoint, documented with the page; the API is /api/v1/public/

    def get(self, request: Request) -> HttpResponse:
        query = _map_query(request._request)
        public_indicator(query["indicator"])
        try:
            payload = map_payload(request._request, query, use=Use.PUBLIC)
        except AccessRefused as error:
            raise _public_only(error, query["indicator"]) from None
        response = JsonResponse(payload)
        response["Cache-Control"] = "public, max-age=60"
        return response


class PublicMapArea(PublicView):
    """GET /public/map/area/: the public map's side panel for one area."""

    schema = None

    def get(self, request: Request) -> HttpResponse:
        indicator = request.query_params.get("indicator") or ""
        public_indicator(indicator)
        try:
            payload = area_payload(request._request, use=Use.PUBLIC)
        except AccessRefused as error:
            raise _public_only(error, indicator) from None
        return JsonResponse(payload)


class PublicMapSearch(PublicView):
    """GET /public/map/search/?q=: areas by name or code (public boundaries only)."""

    schema = None

    def get(self, request: Request) -> HttpResponse:
        text = (request.query_params.get("q") or "").strip()
        if len(text) < 2:
            return JsonResponse({"results": []})
        levels = [lv.slug for lv in loaded_levels()]
        return JsonResponse({"results": [asdict(a) for a in search_areas(text, levels=levels)]})


@require_GET
@throttled
def profile(request: HttpRequest, level: str, code: str) -> HttpResponse:
    """GET /public/areas/<level>/<code>/: an area's profile with public figures only."""
    try:
        area = find_area(None, code, level=level)
    except (NotFound, ParamError):
        raise Http404("No such area") from None
    found = area_profile(None, area, use=Use.PUBLIC, purpose=None)
    # What is not published to the public is not named to it either.
    found.refused = {}
    doc = build_document(
        found, provenance(None, found), locator=locator(area), made_by=PUBLIC_VIEWER
    )
    return render(request, "portal/public/profile.html", {"doc": doc})
