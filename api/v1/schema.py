"""OpenAPI descriptions of the v1 endpoints (drf-spectacular): parameters, response
shapes and the problem+json errors each can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

Q = OpenApiParameter.QUERY

PROBLEM = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "parameter": serializers.CharField(required=False, allow_null=True),
        "reason": serializers.CharField(
            required=False, help_text="403: why access was refused (e.g. level_too_fine)"
        ),
    },
)


def problem(text: str) -> OpenApiResponse:
    return OpenApiResponse(PROBLEM, description=text)


ERRORS = {
    400: problem("a parameter is malformed or out of range; `parameter` names it"),
    401: problem("no valid token or session"),
    429: problem("too many requests for this token; see Retry-After"),
}

PUBLIC_429 = problem("too many requests from this address; see Retry-After")

LEVEL = OpenApiParameter(
    "level",
    str,
    Q,
    required=True,
    description="level slug from /levels/ (e.g. lsoa21), or `custom`",
)
WITHIN = OpenApiParameter(
    "within", str, Q, description="GSS code of an area (any level): only areas inside it"
)
SIMPLIFY = OpenApiParameter(
    "simplify", float, Q, description="outline simplification in metres, 0 = exact (0-5000)"
)
PRECISION = OpenApiParameter("precision", int, Q, description="decimal places of coordinates (1-8)")
PURPOSE = OpenApiParameter(
    "purpose",
    str,
    Q,
    description="the purpose of the read, one the agreement lists (default: the "
    "session's, or the service account's default purpose)",
)
FORMAT = OpenApiParameter(
    "format",
    str,
    Q,
    enum=["json", "csv", "geojson"],
    description="output format (also chosen by the Accept header)",
)
PERIOD = OpenApiParameter(
    "period", str, Q, description="e.g. 2024, 2024/25, 2024-Q3, 2024-03 (default: latest)"
)

ROWS = inline_serializer(
    many=True,
    name="ReleasedValue",
    fields={
        "area_code": serializers.CharField(),
        "area_name": serializers.CharField(),
        "value": serializers.FloatField(allow_null=True),
        "status": serializers.ChoiceField(["shown", "withheld", "no_data"]),
        "marker": serializers.CharField(allow_null=True, help_text="[c] withheld, [x] no data"),
        "rounded_to": serializers.IntegerField(allow_null=True),
    },
)
VALUES = inline_serializer(
    name="ReleasedValues",
    fields={
        "indicator": serializers.DictField(),
        "level": serializers.CharField(),
        "period": serializers.DictField(),
        "periods": serializers.ListField(child=serializers.CharField()),
        "release": serializers.DictField(),
        "access": serializers.ChoiceField(["own_agency", "agreement", "public_agreement"]),
        "agreement": serializers.DictField(allow_null=True),
        "policy": serializers.DictField(allow_null=True),
        "count": serializers.IntegerField(),
        "n_withheld": serializers.IntegerField(),
        "notes": serializers.ListField(child=serializers.CharField()),
        "values": ROWS,
    },
)


class TokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.v1.auth.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`, from python manage.py issue_token USERNAME",
        }


RELEASE_UPLOAD = inline_serializer(
    name="ReleaseUpload",
    fields={
        "file": serializers.FileField(help_text="CSV, XLSX, GeoJSON, GeoPackage or zip"),
        "period": serializers.CharField(required=False),
        "indicator": serializers.CharField(required=False),
        "edition_method": serializers.CharField(required=False),
        "skip_unknown_areas": serializers.BooleanField(required=False),
        "dry_run": serializers.BooleanField(required=False),
    },
)


PROBLEM_TYPE = "application/problem+json"
JSON = ("application/json",)
GEOJSON = ("application/geo+json",)


def document(
    summary: str,
    *,
    operation_id: str,
    parameters: list[Any] | None = None,
    ok: Any = OpenApiTypes.OBJECT,
    ok_types: tuple[str, ...] = JSON,
    errors: tuple[int, ...] = (),
    request: Any = None,
    more: dict[int, Any] | None = None,
    public: bool = False,
) -> Any:
    """extend_schema with our shared error responses, each with its media type: a
    success in `ok_types` (CSV as text; `ok` may map media types to bodies), every error
    as application/problem+json."""
    bodies = ok if isinstance(ok, dict) else dict.fromkeys(ok_types, ok)
    responses: dict[tuple[int, str], Any] = {
        (200, media): (OpenApiTypes.STR if media == "text/csv" else body)
        for media, body in bodies.items()
    }
    for code, body in (more or {}).items():
        responses[(code, JSON[0])] = body
    # The public API asks no one to sign in (no 401) and limits each address (429).
    for code in (*(() if public else (401,)), 429, *errors):
        responses[(code, PROBLEM_TYPE)] = (
            (PUBLIC_429 if public and code == 429 else None)
            or ERRORS.get(code)
            or problem(
                {
                    403: "no agreement allows this read; `reason` says why",
                    404: "no such thing, or none you may see",
                    415: "the body must be application/json",
                    422: "the file was rejected: the report names each row, column and rule",
                }[code]
            )
        )
    return extend_schema(
        summary=summary,
        operation_id=operation_id,
        request=request,
        parameters=parameters or [],
        responses=responses,
    )


PROFILE_LEVEL = OpenApiParameter(
    "level", str, Q, description="level slug, when the code is an area of several levels"
)
INDICATOR_FILTER = OpenApiParameter(
    "indicator",
    str,
    Q,
    description="only these indicators (slugs, comma-separated or repeated); with one "
    "indicator this is the map's side panel query",
)


def _figure_fields() -> dict[str, Any]:
    return {
        "value": serializers.FloatField(allow_null=True),
        "status": serializers.ChoiceField(["shown", "withheld", "no_data"]),
        "marker": serializers.CharField(allow_null=True, help_text="[c] withheld, [x] no data"),
        "rounded_to": serializers.IntegerField(allow_null=True),
    }


FIGURE = inline_serializer(name="Figure", fields=_figure_fields())
COMPARATOR = inline_serializer(
    name="Comparator",
    allow_null=True,
    fields={
        "area_code": serializers.CharField(help_text="`ALL` for the partnership"),
        "area_name": serializers.CharField(),
        "level": serializers.CharField(help_text="a district level, or `partnership`"),
        "value": FIGURE,
        "total": inline_serializer(
            name="ComparatorTotal",
            fields=_figure_fields(),
            allow_null=True,
            help_text="counts: the released total itself",
        ),
        "method": serializers.ChoiceField(
            [
                "released_total_per_area",
                "released_total_pro_rata",
                "ratio_of_summed_numerators_and_denominators",
                "median_of_shown_area_figures",
            ]
        ),
        "n_areas": serializers.IntegerField(),
        "significance": serializers.ChoiceField(
            ["better", "similar", "worse", "higher", "lower", "not_compared"]
        ),
    },
)
PROFILE = inline_serializer(
    name="AreaProfile",
    fields={
        "area": serializers.DictField(),
        "use": serializers.CharField(),
        "purpose": serializers.CharField(allow_null=True),
        "n_returned": serializers.IntegerField(),
        "n_withheld": serializers.IntegerField(),
        "notes": serializers.ListField(child=serializers.CharField()),
        "indicators": inline_serializer(
            name="IndicatorProfile",
            many=True,
            fields={
                "indicator": serializers.DictField(),
                "period": serializers.DictField(),
                "value": FIGURE,
                "interval": serializers.DictField(allow_null=True),
                "trend": serializers.ListField(child=serializers.DictField()),
                "rank": serializers.DictField(allow_null=True),
                "n_ranked": serializers.IntegerField(),
                "district": COMPARATOR,
                "partnership": COMPARATOR,
                "access": serializers.ChoiceField(["own_agency", "agreement", "public_agreement"]),
                "agreement": serializers.DictField(allow_null=True),
                "policy": serializers.DictField(allow_null=True),
            },
        ),
    },
)


_CUSTOM_AREA_FIELDS = {
    "code": serializers.CharField(help_text="random, e.g. custom-k3j5h2m4q7rt"),
    "name": serializers.CharField(),
    "owner": serializers.CharField(help_text="the owning agency's slug"),
    "mine": serializers.BooleanField(help_text="owned by one of your agencies"),
    "shared": serializers.BooleanField(help_text="shared with the whole partnership"),
    "base_level": serializers.CharField(),
    "n_members": serializers.IntegerField(),
    "members": serializers.ListField(child=serializers.CharField()),
    "area_ha": serializers.FloatField(),
    "created_at": serializers.DateTimeField(),
}
CUSTOM_AREA = inline_serializer(name="CustomArea", fields=_CUSTOM_AREA_FIELDS)
CUSTOM_AREA_LIST = inline_serializer(
    name="CustomAreaList",
    fields={
        "custom_areas": inline_serializer(
            name="CustomAreaItem", many=True, fields=dict(_CUSTOM_AREA_FIELDS)
        )
    },
)
CUSTOM_AREA_NEW = inline_serializer(
    name="CustomAreaNew",
    fields={
        "name": serializers.CharField(max_length=200),
        "codes": serializers.ListField(
            child=serializers.CharField(), help_text="LSOA codes, each once, at least 3"
        ),
        "shared": serializers.BooleanField(required=False, default=False),
        "base_level": serializers.CharField(
            required=False, help_text="the LSOA level, when the codes are of several"
        ),
        "agency": serializers.CharField(
            required=False, help_text="the owning agency, when you belong to several"
        ),
    },
)


VALUES_GEOJSON = inline_serializer(
    name="ReleasedValuesGeoJSON",
    fields={
        "type": serializers.ChoiceField(["FeatureCollection"]),
        "metadata": serializers.DictField(help_text="as the JSON form, without `values`"),
        "features": inline_serializer(
            name="ReleasedValueFeature",
            many=True,
            fields={
                "type": serializers.ChoiceField(["Feature"]),
                "id": serializers.CharField(),
                "geometry": serializers.DictField(allow_null=True),
                "properties": ROWS.child.__class__(),  # the same ReleasedValue component
            },
        ),
    },
)
