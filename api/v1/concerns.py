"""GET /api/v1/indicators/{slug}/concerns/: the areas of concern of a count indicator at
one level and period (layers.scanning), under the same access rules as its values."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1 import params
from api.v1.schema import PERIOD, PURPOSE, Q, document
from api.v1.values import policy_json
from layers.domain.access import Use
from layers.scanning import METHODS, AreaConcern, Scan, scan


def _finite(x: float | None) -> float | None:
    return None if x is None or x != x else round(float(x), 6)


def concern_json(c: AreaConcern) -> dict[str, Any]:
    """One area of concern. Every figure in it is shown to the caller or derived from
    shown figures only (layers.scanning)."""
    return {
        "area_code": c.code,
        "area_name": c.name,
        "reasons": [{"test": f.test.value, "reason": f.reason, "p": _finite(f.p)} for f in c.flags],
        "observed": c.excess.observed if c.excess else None,
        "expected": _finite(c.excess.expected) if c.excess else None,
        "ratio": _finite(c.excess.ratio) if c.excess else None,
        "p": _finite(c.excess.p) if c.excess else None,
        "q": _finite(c.excess.q) if c.excess else None,
        "gi_z": _finite(c.hot_spot.z) if c.hot_spot else None,
        "control": (
            {
                "chart": c.control.chart,
                "judgement": c.control.judgement.value,
                "latest": _finite(c.control.latest),
                "centre": _finite(c.control.centre),
                "upper": _finite(c.control.upper),
                "n_earlier": c.control.n_earlier,
            }
            if c.control
            else None
        ),
    }


def scan_json(result: Scan) -> dict[str, Any]:
    indicator, decision = result.indicator, result.decision
    den = result.denominator
    return {
        "indicator": {
            "slug": indicator.slug,
            "name": indicator.name,
            "unit": indicator.unit,
            "dataset": indicator.dataset.slug,
            "simulated": indicator.dataset.is_simulated,
        },
        "level": result.level.slug,
        "period": {"code": result.period.code},
        "periods": [p.code for p in result.periods],
        "denominator": (
            {
                "slug": den.slug,
                "name": den.name,
                "period": result.denominator_period.code if result.denominator_period else None,
            }
            if den
            else None
        ),
        "access": decision.reason.value,
        "agreement": (
            {"reference": decision.agreement_ref, "version": decision.agreement_version}
            if decision.agreement_ref
            else None
        ),
        "policy": policy_json(result.policy),
        "scanned": result.not_scanned is None,
        "not_scanned": result.not_scanned,
        "caution": result.caution,
        "tests": result.tests,
        "q_level": result.q_level,
        "n_areas": result.n_areas,
        "n_tested": result.n_shown,
        "n_withheld": result.n_withheld,
        "n_earlier_periods": result.n_history,
        "methods": list(METHODS),
        "count": len(result.concerns),
        "concerns": [concern_json(c) for c in result.concerns],
    }


SCAN_LEVEL = OpenApiParameter(
    "level", str, Q, description="level slug from /levels/ (default: the dataset's own, e.g. LSOA)"
)
CONCERNS = inline_serializer(
    name="AreasOfConcern",
    fields={
        "indicator": serializers.DictField(),
        "level": serializers.CharField(),
        "period": serializers.DictField(),
        "periods": serializers.ListField(child=serializers.CharField()),
        "denominator": serializers.DictField(allow_null=True),
        "access": serializers.ChoiceField(["own_agency", "agreement"]),
        "agreement": serializers.DictField(allow_null=True),
        "policy": serializers.DictField(allow_null=True),
        "scanned": serializers.BooleanField(),
        "not_scanned": serializers.CharField(
            allow_null=True, help_text="why the indicator was not scanned (e.g. no denominator)"
        ),
        "caution": serializers.CharField(
            allow_null=True, help_text="e.g. many figures withheld: expected counts may be off"
        ),
        "tests": serializers.ListField(
            child=serializers.ChoiceField(["excess", "hot_spot", "control"])
        ),
        "q_level": serializers.FloatField(),
        "n_areas": serializers.IntegerField(),
        "n_tested": serializers.IntegerField(),
        "n_withheld": serializers.IntegerField(),
        "n_earlier_periods": serializers.IntegerField(),
        "methods": serializers.ListField(child=serializers.CharField()),
        "count": serializers.IntegerField(),
        "concerns": inline_serializer(
            name="AreaOfConcern",
            many=True,
            fields={
                "area_code": serializers.CharField(),
                "area_name": serializers.CharField(),
                "reasons": serializers.ListField(child=serializers.DictField()),
                "observed": serializers.IntegerField(allow_null=True),
                "expected": serializers.FloatField(allow_null=True),
                "ratio": serializers.FloatField(allow_null=True),
                "p": serializers.FloatField(allow_null=True),
                "q": serializers.FloatField(allow_null=True),
                "gi_z": serializers.FloatField(allow_null=True),
                "control": serializers.DictField(allow_null=True),
            },
        ),
    },
)


class IndicatorConcerns(APIView):
    """Areas of concern of one count indicator at one level and period."""

    @document(
        "Areas of concern: counts significantly higher than expected (exact Poisson test, "
        "Benjamini-Hochberg FDR), Getis-Ord Gi* hot spots, and breaches of an area's own "
        "control limits, computed on the figures you may see",
        operation_id="indicator_concerns",
        parameters=[SCAN_LEVEL, PERIOD, PURPOSE],
        ok=CONCERNS,
        errors=(400, 403, 404),
    )
    def get(self, request: Request, slug: str) -> Any:
        result = scan(
            request.user,
            indicator=slug,
            level=request.query_params.get("level") or None,
            period=request.query_params.get("period") or None,
            use=Use.API,
            purpose=params.purpose_of(request),
        )
        response = Response(scan_json(result))
        response["Cache-Control"] = "private, no-cache"
        return response
