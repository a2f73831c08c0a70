"""Areas of concern: the page (/concerns/) and the map's overlay (/map/concerns/).

Both read through `layers.scanning.scan` with the use `map` (what the user may map, they
may scan) and give the API's JSON shape (`api.v1.concerns.scan_json`)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from api.v1.concerns import scan_json
from layers.domain.access import Use
from layers.domain.errors import DomainError
from layers.read import AccessRefused
from layers.scanning import METHODS, scan
from layers.tiles import loaded_levels
from portal.pages.map import _json_problem, _purpose, _refusal, _signed_in, _themes
from portal.problems import problem

TESTS = {
    "excess": "Higher than expected",
    "hot_spot": "Hot spot",
    "control": "Above its own history",
}


def _choices(user: Any, purpose: str) -> list[dict[str, Any]]:
    """Count indicators the user may map, with their levels and periods (newest first)."""
    loaded = {lv.slug for lv in loaded_levels()}
    out = []
    for theme in _themes(user, purpose, loaded):
        for dataset in theme["datasets"]:
            for indicator in dataset["indicators"]:
                if indicator["measure"] != "count":
                    continue
                out.append(
                    {
                        **indicator,
                        "dataset": dataset["title"],
                        "simulated": dataset["simulated"],
                        "periods": list(reversed(indicator["periods"])),
                    }
                )
    return out


@login_required
def concerns_page(request: HttpRequest) -> HttpResponse:
    purpose = _purpose(request)
    if purpose is None:
        return redirect(f"{reverse('purpose')}?{urlencode({'next': request.get_full_path()})}")
    choices = _choices(request.user, purpose)
    by_slug = {c["slug"]: c for c in choices}
    # Default: the first count offered (the pickers keep the catalogue's order).
    asked = request.GET.get("indicator") or (choices[0]["slug"] if choices else "")
    chosen = by_slug.get(asked)
    level = request.GET.get("level") or (chosen["levels"][0] if chosen else "")
    if chosen and level not in chosen["levels"]:
        level = chosen["levels"][0]
    period = request.GET.get("period") or ""
    if chosen and period and period not in chosen["periods"]:
        period = ""
    context: dict[str, Any] = {
        "choices": choices,
        "chosen": chosen,
        "level": level,
        "period": period or (chosen["periods"][0] if chosen else ""),
        "levels": {lv.slug: lv.name for lv in loaded_levels()},
        "methods": METHODS,
        "tests": TESTS,
        "result": None,
        "error": None,
    }
    if asked and chosen is None:
        context["error"] = (
            f"{asked!r} is not a count you may map under the purpose '{purpose}'. "
            "Choose one of the indicators offered."
        )
    elif chosen is not None:
        try:
            result = scan(
                request.user,
                indicator=chosen["slug"],
                level=level,
                period=period or None,
                use=Use.MAP,
                purpose=purpose,
            )
        except AccessRefused as error:
            context["error"] = json.loads(_refusal(error, use=Use.MAP).content)["detail"]
        except DomainError as error:
            context["error"] = error.public_message
        else:
            body = scan_json(result)
            for concern in body["concerns"]:
                concern["tests"] = [r["test"] for r in concern["reasons"]]
                concern["strength"] = min((r["p"] for r in concern["reasons"]), default=1.0)
            context["result"] = body
    status = 400 if context["error"] and asked and chosen is None else 200
    return render(request, "portal/concerns.html", context, status=status)


@require_GET
@gzip_page
def concerns_json(request: HttpRequest) -> HttpResponse:
    """GET /map/concerns/?indicator=&level=&period=: the map overlay's areas of concern."""
    if (refused := _signed_in(request)) is not None:
        return refused
    indicator = (request.GET.get("indicator") or "").strip()
    if not indicator:
        return problem(400, "Bad parameter", "indicator is required", parameter="indicator")
    try:
        result = scan(
            request.user,
            indicator=indicator,
            level=request.GET.get("level") or None,
            period=request.GET.get("period") or None,
            use=Use.MAP,
            purpose=_purpose(request),
        )
    except AccessRefused as error:
        return _refusal(error, use=Use.MAP)
    except DomainError as error:
        return _json_problem(error)
    response = JsonResponse(scan_json(result))
    response["Cache-Control"] = "private, no-store"
    return response
