"""The catalogue: levels, areas (GeoJSON), datasets and indicators a caller may use, and
the agreements that name the caller. Boundaries are public; figures are not here."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.geos import Polygon
from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1 import params
from api.v1.schema import GEOJSON, LEVEL, PRECISION, SIMPLIFY, WITHIN, document
from api.v1.schema import Q as QUERY
from layers.catalogue import agreements_of, dataset_permissions, indicator_entries
from layers.domain.errors import NotFound, ParamError
from layers.geography import area_geometry, codes_within
from layers.models import Area, GeographyLevel, Lookup
from layers.read import level_named

PAGE_SIZE = 500


class Levels(APIView):
    """Every geography level, fine to coarse, with how many areas are loaded."""

    @document(
        "Geography levels, fine to coarse, with the number of areas loaded", operation_id="levels"
    )
    def get(self, request: Request) -> Response:
        levels = GeographyLevel.objects.annotate(n_areas=Count("areas")).order_by("id")
        items = sorted(
            (
                {
                    "slug": lv.slug,
                    "name": lv.name,
                    "kind": lv.kind,
                    "edition": lv.edition,
                    "n_areas": lv.n_areas,
                    "boundary_version": lv.boundary_version or None,
                    "_rank": lv.as_domain().rank,
                }
                for lv in levels
            ),
            key=lambda item: (item["_rank"], item["slug"]),
        )
        return Response({"levels": [{k: v for k, v in i.items() if k != "_rank"} for i in items]})


def _feature(area: Area, geometry: str | None, parents: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": area.gss_code,
        "geometry": json.loads(geometry) if geometry else None,
        "properties": {
            "area_code": area.gss_code,
            "area_name": area.name,
            "level": area.level.slug,
            "area_ha": round(area.area_ha, 2),
            "parents": parents,
        },
    }


def _parents(codes: list[str], level: GeographyLevel) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {code: {} for code in codes}
    for child, parent_level, parent in (
        Lookup.objects.filter(child_level=level, child_code__in=codes)
        .exclude(method=Lookup.Method.EDITION_CHANGE)
        .values_list("child_code", "parent_level__slug", "parent_code")
    ):
        out[child][parent_level] = parent
    return out


def _page_url(request: Request, page: int) -> str:
    query = request.query_params.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class Areas(APIView):
    """Areas of one level as a GeoJSON FeatureCollection, a page at a time."""

    @document(
        "Areas of one level as a GeoJSON FeatureCollection, paged",
        operation_id="areas",
        ok_types=GEOJSON,
        parameters=[
            LEVEL,
            WITHIN,
            OpenApiParameter("bbox", str, QUERY, description="minlon,minlat,maxlon,maxlat"),
            OpenApiParameter("q", str, QUERY, description="name contains, or code starts with"),
            OpenApiParameter("page", int, QUERY),
            OpenApiParameter("page_size", int, QUERY, description="1-500, default 100"),
            SIMPLIFY,
            PRECISION,
        ],
        errors=(400,),
    )
    def get(self, request: Request) -> Response:
        level = level_named(params.required(request, "level"))
        areas = Area.objects.filter(level=level).select_related("level").order_by("gss_code")
        within = request.query_params.get("within")
        if within:
            inside = codes_within(level, within.strip())
            if inside is None:
                raise ParamError(f"no area with code {within!r}", parameter="within")
            areas = areas.filter(gss_code__in=inside)
        box = params.bbox(request)
        if box is not None:
            envelope = Polygon.from_bbox(box)
            envelope.srid = 4326
            areas = areas.filter(geom_27700__intersects=envelope.transform(27700, clone=True))
        query = (request.query_params.get("q") or "").strip()
        if query:
            areas = areas.filter(Q(name__icontains=query) | Q(gss_code__istartswith=query))
        size = params.whole_number(request, "page_size", default=100, low=1, high=PAGE_SIZE)
        page = params.whole_number(request, "page", default=1, low=1, high=1_000_000)
        total = areas.count()
        chosen = list(areas[(page - 1) * size : page * size])
        codes = [a.gss_code for a in chosen]
        geometry = area_geometry(
            level,
            codes,
            simplify=params.decimal(request, "simplify", default=20.0, low=0, high=5000),
            precision=params.whole_number(request, "precision", default=5, low=1, high=8),
        )
        parents = _parents(codes, level)
        return Response(
            {
                "type": "FeatureCollection",
                "count": total,
                "page": page,
                "next": _page_url(request, page + 1) if page * size < total else None,
                "previous": _page_url(request, page - 1) if page > 1 else None,
                "features": [
                    _feature(a, geometry.get(a.gss_code), parents[a.gss_code]) for a in chosen
                ],
            },
            content_type="application/geo+json",
        )


class AreaDetail(APIView):
    """One area by its GSS code, as a GeoJSON Feature."""

    @document(
        "One area by GSS code, as a GeoJSON Feature",
        operation_id="area",
        ok_types=GEOJSON,
        parameters=[SIMPLIFY, PRECISION],
        errors=(400, 404),
    )
    def get(self, request: Request, code: str) -> Response:
        area = Area.objects.select_related("level").filter(gss_code=code).order_by("level_id")
        found = area.first()
        if found is None:
            raise NotFound(f"no area with code {code!r}", parameter="code")
        geometry = area_geometry(
            found.level,
            [found.gss_code],
            simplify=params.decimal(request, "simplify", default=5.0, low=0, high=5000),
            precision=params.whole_number(request, "precision", default=6, low=1, high=8),
        )
        return Response(
            _feature(
                found,
                geometry.get(found.gss_code),
                _parents([found.gss_code], found.level)[found.gss_code],
            ),
            content_type="application/geo+json",
        )


class Datasets(APIView):
    """Datasets the caller may read, each with its indicators' levels, periods and uses."""

    @document(
        "Datasets you may read, with each indicator's permitted levels, periods and uses",
        operation_id="datasets",
    )
    def get(self, request: Request) -> Response:
        out = []
        for dataset, granted in dataset_permissions(request.user):
            out.append(
                {
                    "slug": dataset.slug,
                    "title": dataset.title,
                    "theme": dataset.theme,
                    "owner": dataset.owner.slug,
                    "description": dataset.description,
                    "source": dataset.source,
                    "licence": dataset.licence,
                    "simulated": dataset.is_simulated,
                    "level": dataset.level.slug,
                    "access": [
                        {
                            "agreement": p.agreement_ref,
                            "uses": sorted(u.value for u in p.uses),
                            "purposes": sorted(p.purposes),
                            "finest_level": p.finest_level.slug if p.finest_level else None,
                            "ends_on": p.ends_on,
                        }
                        for p in granted
                    ],
                    "indicators": [_indicator(e) for e in indicator_entries(dataset, granted)],
                }
            )
        return Response({"datasets": out})


def _indicator(entry: dict[str, Any]) -> dict[str, Any]:
    indicator = entry["indicator"]
    return {
        "slug": indicator.slug,
        "name": indicator.name,
        "dataset": indicator.dataset.slug,
        "measure": indicator.measure,
        "unit": indicator.unit,
        "polarity": indicator.polarity,
        "summable": indicator.is_summable,
        "levels": entry["levels"],
        "periods": entry["periods"],
        "uses": entry["uses"],
    }


class Indicators(APIView):
    """Every indicator the caller may read, flat, with levels, periods and uses."""

    @document(
        "Indicators you may read, with permitted levels, periods and uses",
        operation_id="indicators",
        parameters=[OpenApiParameter("theme", str, QUERY)],
    )
    def get(self, request: Request) -> Response:
        theme = request.query_params.get("theme")
        out = [
            _indicator(entry)
            for dataset, granted in dataset_permissions(request.user)
            if not theme or dataset.theme == theme
            for entry in indicator_entries(dataset, granted)
        ]
        return Response({"indicators": out})


class MyAgreements(APIView):
    """The agreements naming the caller's agencies: what each gives them, until when."""

    @document(
        "Agreements naming your agencies: what each gives you, and until when",
        operation_id="my_agreements",
    )
    def get(self, request: Request) -> Response:
        out = []
        for item in agreements_of(request.user):
            version = item["version"]
            out.append(
                {
                    "reference": version.agreement.reference,
                    "version": version.version,
                    "title": version.title,
                    "provider": version.agreement.provider.slug,
                    "status": version.status,
                    "grants_you": item["grants_you"],
                    "datasets": item["datasets"],
                    "roles": sorted(version.roles),
                    "uses": sorted(version.uses),
                    "purposes": sorted(version.purposes),
                    "finest_level": version.finest_level.slug,
                    "starts_on": version.starts_on,
                    "ends_on": version.ends_on,
                    "review_on": version.review_on,
                }
            )
        return Response({"agreements": out})
