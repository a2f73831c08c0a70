"""GET /api/v1/areas/{code}/profile/: every indicator the caller may see for one area,
with its trend, rank, comparators and intervals. A thin view over layers.profile."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1 import params
from api.v1.schema import INDICATOR_FILTER, PROFILE, PROFILE_LEVEL, PURPOSE, document
from api.v1.schema import PERIOD as PERIOD_PARAM
from api.v1.values import policy_json
from layers.domain.access import Use
from layers.domain.comparison import Polarity, rank_order
from layers.profile import Comparator, Figure, IndicatorProfile, Profile, area_profile, find_area

NOTES = (
    "value null with marker [c]: withheld under the agreement's disclosure policy; "
    "[x]: no data (missing is not zero)",
    "rank 1 and decile 1 are the worst end among the areas of the level whose figures "
    "are shown, by the indicator's polarity (rank.order: lowest_first where higher is "
    "better, so an IMD rank or decile of 1 stays the most deprived; highest_first "
    "otherwise); withheld figures are neither ranked nor used in any mean or median",
    "counts compare with the released total spread over the areas it covers "
    "(released_total_per_area; for custom areas per LSOA times its LSOAs); scores, ranks, "
    "and rates whose parts cannot be summed, with the median of shown area figures",
    "intervals are 95%: Wilson score for percentages, exact Poisson (under 10 events) or "
    "Byar's method for rates; significance compares the area's interval with the "
    "comparator's figure, better or worse by the indicator's polarity",
)


def figure_json(figure: Figure) -> dict[str, Any]:
    return {
        "value": figure.value,
        "status": figure.status,
        "marker": figure.marker,
        "rounded_to": figure.rounded_to,
    }


def comparator_json(comparator: Comparator | None) -> dict[str, Any] | None:
    if comparator is None:
        return None
    return {
        "area_code": comparator.area_code,
        "area_name": comparator.area_name,
        "level": comparator.level,
        "value": figure_json(comparator.value),
        "total": figure_json(comparator.total) if comparator.total is not None else None,
        "method": comparator.method,
        "n_areas": comparator.n_areas,
        "significance": comparator.significance.value,
    }


def indicator_json(item: IndicatorProfile) -> dict[str, Any]:
    indicator, decision = item.indicator, item.decision
    return {
        "indicator": {
            "slug": indicator.slug,
            "name": indicator.name,
            "measure": indicator.measure,
            "unit": indicator.unit,
            "polarity": indicator.polarity,
            "dataset": indicator.dataset.slug,
            "simulated": indicator.dataset.is_simulated,
        },
        "period": {
            "code": item.period.code,
            "start_on": item.period.start_on,
            "end_on": item.period.end_on,
        },
        "value": figure_json(item.value),
        "interval": (
            {
                "low": item.interval.low,
                "high": item.interval.high,
                "method": item.interval.method.value,
                "confidence": item.interval.confidence,
            }
            if item.interval
            else None
        ),
        "trend": [{"period": period.code, **figure_json(f)} for period, f in item.trend],
        "rank": (
            {
                "rank": item.ranking.rank,
                "of": item.ranking.of,
                "decile": item.ranking.decile,
                "order": rank_order(Polarity(item.indicator.polarity)),
            }
            if item.ranking
            else None
        ),
        "n_ranked": item.n_ranked,
        "district": comparator_json(item.district),
        "partnership": comparator_json(item.partnership),
        "access": decision.reason.value,
        "agreement": (
            {"reference": decision.agreement_ref, "version": decision.agreement_version}
            if decision.agreement_ref
            else None
        ),
        "policy": policy_json(item.policy),
    }


def profile_json(profile: Profile) -> dict[str, Any]:
    area = profile.area
    return {
        "area": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "district": (
                {"code": area.district_code, "level": area.district_level}
                if area.district_code
                else None
            ),
            "members": list(area.members),
        },
        "use": profile.use.value,
        "purpose": profile.purpose,
        "n_returned": profile.n_returned,
        "n_withheld": profile.n_withheld,
        "notes": list(NOTES),
        "indicators": [indicator_json(i) for i in profile.indicators],
    }


class AreaProfile(APIView):
    """Every indicator the caller may see for one area, with comparators."""

    @document(
        "Profile of one area (GSS code of any level, or a custom area's code): every "
        "indicator you may see there, latest period, trend, rank and decile, the "
        "district's and the partnership's figures, intervals and significance",
        operation_id="area_profile",
        parameters=[PROFILE_LEVEL, PURPOSE, INDICATOR_FILTER, PERIOD_PARAM],
        ok=PROFILE,
        errors=(400, 403, 404),
    )
    def get(self, request: Request, code: str) -> Response:
        area = find_area(request.user, code, level=request.query_params.get("level") or None)
        profile = area_profile(
            request.user,
            area,
            use=Use.API,
            purpose=params.purpose_of(request),
            indicators=params.listed(request, "indicator"),
            period=request.query_params.get("period") or None,
        )
        response = Response(profile_json(profile))
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Accept, Authorization, Cookie"
        return response
