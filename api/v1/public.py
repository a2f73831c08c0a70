"""The public API: read-only, no sign-in, throttled. Only what an agreement with the use
`public` publishes, under that agreement's disclosure policy, through the one read path
(layers.read, use `public`, audited with no user). Anything else is not here: an
indicator that is not published to the public is a 404, as if it did not exist."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from api.v1 import params
from api.v1.profile import profile_json
from api.v1.schema import PERIOD as PERIOD_PARAM
from api.v1.schema import PROFILE, VALUES, Q, document
from api.v1.values import policy_json, row_json, table_meta
from layers.catalogue import public_catalogue
from layers.domain.access import Reason, Use
from layers.domain.errors import NotFound
from layers.profile import area_profile, find_area
from layers.read import AccessRefused, public_indicator, read_values

CACHE = "public, max-age=60"


class PublicRateThrottle(AnonRateThrottle):
    """Every caller of the public API by address (it does not ask who they are), at the
    rate REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"], read on every request."""

    scope = "public"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[no-any-return]


class PublicView(APIView):
    """No authentication (a token or session changes nothing here), anyone may call,
    only GET, HEAD and OPTIONS (anything else: 405), throttled by address."""

    authentication_classes: ClassVar[list[Any]] = []
    permission_classes: ClassVar[list[Any]] = [AllowAny]
    throttle_classes: ClassVar[list[Any]] = [PublicRateThrottle]
    http_method_names: ClassVar[list[str]] = ["get", "head", "options"]


PUBLIC_LEVEL = OpenApiParameter(
    "level",
    str,
    Q,
    required=True,
    description="level slug the indicator is published at for the public (see /public/indicators/)",
)

PUBLIC_CATALOGUE = inline_serializer(
    name="PublicCatalogue",
    fields={
        "datasets": inline_serializer(
            name="PublicDataset",
            many=True,
            fields={
                "slug": serializers.CharField(),
                "title": serializers.CharField(),
                "theme": serializers.CharField(),
                "publisher": serializers.CharField(),
                "source": serializers.CharField(),
                "licence": serializers.CharField(),
                "simulated": serializers.BooleanField(),
                "agreement": serializers.DictField(),
                "policy": serializers.DictField(),
                "indicators": serializers.ListField(child=serializers.DictField()),
            },
        ),
        "notes": serializers.ListField(child=serializers.CharField()),
    },
)

NOTES = (
    "Figures are published to the public under the named agreement's disclosure policy.",
    "value null with marker [c]: withheld to protect privacy; [x]: no data (missing is not zero)",
    "SIMULATED datasets are made-up figures for a demonstration, not real records.",
)


def catalogue_json() -> dict[str, Any]:
    datasets = []
    for entry in public_catalogue():
        dataset, decision = entry["dataset"], entry["decision"]
        datasets.append(
            {
                "slug": dataset.slug,
                "title": dataset.title,
                "theme": dataset.theme,
                "publisher": dataset.owner.name,
                "source": dataset.source,
                "licence": dataset.licence,
                "simulated": dataset.is_simulated,
                "agreement": {
                    "reference": decision.agreement_ref,
                    "version": decision.agreement_version,
                },
                "policy": policy_json(decision.policy),
                "indicators": [
                    {
                        "slug": e["indicator"].slug,
                        "name": e["indicator"].name,
                        "measure": e["indicator"].measure,
                        "unit": e["indicator"].unit,
                        "polarity": e["indicator"].polarity,
                        "levels": e["levels"],
                        "periods": e["periods"],
                    }
                    for e in entry["indicators"]
                ],
            }
        )
    return {"datasets": datasets, "notes": list(NOTES)}


def public_values(indicator: str, *, level: str, period: str | None) -> Any:
    """One public read: 404 for an indicator nobody publishes to the public (whether or
    not it exists), the read path's own answer (400, 403 level_too_fine) otherwise."""
    public_indicator(indicator)
    try:
        return read_values(
            None, indicator=indicator, level=level, period=period, use=Use.PUBLIC, purpose=None
        )
    except AccessRefused as refused:
        if refused.decision.reason is Reason.LEVEL_TOO_FINE:
            raise
        raise NotFound(f"no public indicator {indicator!r}", parameter="indicator") from None


class PublicIndicators(PublicView):
    """What is published to the public: datasets, indicators, levels, periods, policy."""

    @document(
        "Datasets and indicators published to the public, with their source, licence, "
        "the agreement publishing them and its disclosure policy (no sign-in)",
        operation_id="public_indicators",
        ok=PUBLIC_CATALOGUE,
        public=True,
    )
    def get(self, request: Request) -> Response:
        response = Response(catalogue_json())
        response["Cache-Control"] = CACHE
        return response


class PublicIndicatorValues(PublicView):
    """Released values of one public indicator at one level and period (no sign-in)."""

    @document(
        "Released values of one indicator published to the public, at one level and "
        "period, under the public agreement's disclosure policy (no sign-in)",
        operation_id="public_indicator_values",
        parameters=[PUBLIC_LEVEL, PERIOD_PARAM],
        ok=VALUES,
        errors=(400, 403, 404),
        public=True,
    )
    def get(self, request: Request, slug: str) -> Response:
        table = public_values(
            slug,
            level=params.required(request, "level"),
            period=request.query_params.get("period") or None,
        )
        body = {**table_meta(table), "values": [row_json(r) for r in table.rows]}
        response = Response(body)
        response["Cache-Control"] = CACHE
        return response


class PublicAreaProfile(PublicView):
    """One area's public figures: latest value, trend, rank and comparators."""

    @document(
        "Profile of one area (GSS code) with the indicators published to the public for "
        "its level (no sign-in)",
        operation_id="public_area_profile",
        parameters=[
            OpenApiParameter(
                "level", str, Q, description="level slug, when the code is an area of several"
            ),
        ],
        ok=PROFILE,
        errors=(400, 404),
        public=True,
    )
    def get(self, request: Request, code: str) -> Response:
        area = find_area(None, code, level=request.query_params.get("level") or None)
        profile = area_profile(None, area, use=Use.PUBLIC, purpose=None)
        response = Response(profile_json(profile))
        response["Cache-Control"] = CACHE
        return response
