"""GET/POST /api/v1/custom-areas/ and GET /api/v1/custom-areas/{code}/: neighbourhoods
built from LSOAs. Their figures come through the values endpoint with `level=custom` and
the area profile; this is only their definition (public geography, no figures)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.schema import CUSTOM_AREA, CUSTOM_AREA_LIST, CUSTOM_AREA_NEW, document
from layers.domain.errors import NotFound, ParamError
from layers.geography import (
    custom_area_code,
    custom_area_for,
    define_custom_area,
    visible_custom_areas,
)
from layers.models import Agency, CustomArea, Membership
from layers.read import level_named


def custom_area_json(custom: CustomArea, mine: set[int]) -> dict[str, Any]:
    members = sorted(m.gss_code for m in custom.members.all())
    return {
        "code": custom_area_code(custom),
        "name": custom.name,
        "owner": custom.owner.slug,
        "mine": custom.owner_id in mine,
        "shared": custom.is_shared,
        "base_level": custom.base_level.slug,
        "n_members": len(members),
        "members": members,
        "area_ha": round(custom.area_ha, 2),
        "created_at": custom.created_at,
    }


def _agencies(user: Any) -> set[int]:
    return set(Membership.objects.filter(user_id=user.id).values_list("agency_id", flat=True))


def _owner(user: Any, slug: Any) -> Agency:
    agencies = Agency.objects.filter(memberships__user_id=user.id).distinct().order_by("slug")
    if not agencies:
        raise PermissionDenied("custom areas belong to an agency, and you are a member of none")
    if slug is None:
        if len(agencies) > 1:
            raise ParamError(
                "you belong to several agencies: say which owns the area with agency "
                f"({', '.join(a.slug for a in agencies)})",
                parameter="agency",
            )
        return agencies[0]
    found = next((a for a in agencies if a.slug == slug), None)
    if found is None:
        raise ParamError(f"you are not a member of an agency {slug!r}", parameter="agency")
    return found


class CustomAreas(APIView):
    parser_classes = (JSONParser,)

    @document(
        "Custom areas you may use: your agencies' own, and those shared with the partnership",
        operation_id="custom_areas",
        ok=CUSTOM_AREA_LIST,
    )
    def get(self, request: Request) -> Response:
        areas = (
            visible_custom_areas(request.user)
            .select_related("owner", "base_level")
            .prefetch_related("members")
            .order_by("name", "public_id")
        )
        mine = _agencies(request.user)
        return Response({"custom_areas": [custom_area_json(a, mine) for a in areas]})

    @document(
        "Define a custom area from a list of LSOA codes (at least 3, each once)",
        operation_id="custom_area_create",
        request=CUSTOM_AREA_NEW,
        ok=CUSTOM_AREA,
        errors=(400, 403),
        more={201: CUSTOM_AREA},
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if not isinstance(data, dict):
            raise ParamError("the body must be a JSON object", parameter="body")
        codes = data.get("codes")
        if not isinstance(codes, list):
            raise ParamError("codes must be a list of LSOA codes", parameter="codes")
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            raise ParamError("name must be text", parameter="name")
        shared = data.get("shared", False)
        if not isinstance(shared, bool):
            raise ParamError("shared must be true or false", parameter="shared")
        base_level = data.get("base_level")
        if base_level is not None and not isinstance(base_level, str):
            raise ParamError("base_level must be a level slug", parameter="base_level")
        custom = define_custom_area(
            acting_user=request.user,
            owner=_owner(request.user, data.get("agency")),
            name=name or "",
            codes=codes,
            base_level=level_named(base_level) if base_level else None,
            is_shared=shared,
        )
        body = custom_area_json(custom, _agencies(request.user))
        response = Response(body, status=201)
        response["Location"] = f"/api/v1/custom-areas/{body['code']}/"
        return response


class CustomAreaDetail(APIView):
    @document(
        "One custom area you may use (another agency's private area is not found)",
        operation_id="custom_area",
        ok=CUSTOM_AREA,
        errors=(404,),
    )
    def get(self, request: Request, code: str) -> Response:
        custom = custom_area_for(request.user, code)
        if custom is None:
            raise NotFound(f"no custom area {code!r} that you may see", parameter="code")
        return Response(custom_area_json(custom, _agencies(request.user)))
