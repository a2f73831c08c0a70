"""The analyst's map: boundaries from the vector tiles, values from the one read path
joined in the browser by area code (DESIGN.md "Map").

Pages and JSON endpoints here only parse parameters, call `layers.read.read_values`
(use `map`, or `export` for downloads) and the pure choropleth rules, and format the
result in the API's JSON shape (`api.v1.values`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from api.v1.profile import profile_json
from api.v1.values import NOTES, row_json, table_meta
from layers import audit
from layers.agreements import version_named
from layers.catalogue import catalogue_for
from layers.domain.access import Use
from layers.domain.choropleth import (
    MAX_CLASSES,
    MIN_CLASSES,
    ChangeKind,
    Classes,
    Method,
    change_between,
    classify,
    standings,
)
from layers.domain.comparison import Polarity, rank_order
from layers.domain.errors import DomainError, NotFound, ParamError
from layers.domain.spreadsheet import neutral
from layers.geography import extents_of, search_areas
from layers.profile import area_profile, find_area
from layers.read import AccessRefused, ReleasedTable, read_values
from layers.tiles import loaded_levels
from portal.problems import problem, problem_for

THEME_NAMES = {
    "crime": "Crime and community safety",
    "health": "Health",
    "education": "Education",
    "deprivation": "Deprivation",
    "other": "Population and other",
}
MODES = ("value", "change")
MAX_SHORTCUTS = 6


def _purpose(request: HttpRequest) -> str | None:
    return request.session.get("purpose") or None


def _themes(user: Any, purpose: str, loaded: set[str]) -> list[dict[str, Any]]:
    """The pickers' choices: theme -> dataset -> indicator, each indicator with the levels
    (with boundaries loaded) and periods the user's agreements allow for use `map`."""
    themes: dict[str, list[dict[str, Any]]] = {}
    for entry in catalogue_for(user, use=Use.MAP, purpose=purpose):
        dataset = entry["dataset"]
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
        indicators = [i for i in indicators if i["levels"] and i["periods"]]
        if indicators:
            themes.setdefault(dataset.theme, []).append(
                {
                    "slug": dataset.slug,
                    "title": dataset.title,
                    "owner": dataset.owner.name,
                    "simulated": dataset.is_simulated,
                    "can_export": entry["can_export"],
                    "agreements": sorted(
                        {p.agreement_ref or "own agency" for p in entry["permissions"]}
                    ),
                    "indicators": indicators,
                }
            )
    return [
        {"slug": slug, "name": THEME_NAMES.get(slug, slug.title()), "datasets": datasets}
        for slug, datasets in sorted(themes.items(), key=lambda kv: THEME_NAMES.get(kv[0], ""))
    ]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    purpose = _purpose(request)
    if purpose is None:
        return redirect(f"{reverse('purpose')}?{urlencode({'next': request.get_full_path()})}")
    levels = loaded_levels()
    themes = _themes(request.user, purpose, {lv.slug for lv in levels})
    config = map_config(
        levels,
        themes,
        purpose=purpose,
        user=request.user.get_username(),
        urls={
            "values": reverse("map-values"),
            "search": reverse("map-search"),
            "area": reverse("map-area"),
            "csv": reverse("map-export-csv"),
            "png": reverse("map-export-png"),
            "concerns": reverse("map-concerns"),
            "areaGeometry": reverse("api-area", kwargs={"code": "CODE"}),
        },
    )
    return render(
        request,
        "portal/map.html",
        {"config": config},
    )


def map_config(
    levels: list[Any],
    themes: list[dict[str, Any]],
    *,
    purpose: str | None,
    user: str,
    urls: dict[str, str | None],
    public: bool = False,
) -> dict[str, Any]:
    """What the map's script is told: levels, districts, the pickers' choices, URLs.
    `public`: the public map (no downloads, no sign-in, public data only)."""
    # Shortcuts to each district, for a partnership of a few districts that may lie far
    # apart (two cities); a larger one has the search.
    districts = [lv for lv in levels if lv.kind == "lad" and lv.n_areas <= MAX_SHORTCUTS]
    return {
        "levels": [asdict(lv) for lv in levels],
        "districts": [
            {"code": code, "name": name, "bbox_4326": box}
            for code, name, box in (extents_of(districts[-1].slug) if districts else [])
        ],
        "themes": themes,
        "purpose": purpose,
        "user": user,
        "public": public,
        "tileUrl": reverse("tile", kwargs={"level": "LEVEL", "z": 0, "x": 0, "y": 0})
        .replace("LEVEL", "{level}")
        .replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt"),
        "urls": urls,
        # MapLibre's CSP build: its worker comes from our origin, not from a blob: URL.
        "workerUrl": static("vendor/maplibre-gl/maplibre-gl-csp-worker.js"),
        "basemap": (
            {"tiles": settings.MAP_BASEMAP_TILES, "attribution": settings.MAP_BASEMAP_ATTRIBUTION}
            if settings.MAP_BASEMAP_TILES
            else None
        ),
        "classes": {"min": MIN_CLASSES, "max": MAX_CLASSES},
    }


# --- JSON endpoints -------------------------------------------------------------------


def _json_problem(error: DomainError) -> JsonResponse:
    return problem_for(error)


def _signed_in(request: HttpRequest) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return problem(401, "Not signed in", "sign in to read figures")
    return None


def _choice(request: HttpRequest, name: str, options: tuple[str, ...], default: str) -> str:
    value = request.GET.get(name) or default
    if value not in options:
        raise ParamError(
            f"{name} must be one of {', '.join(options)}, not {value!r}", parameter=name
        )
    return value


def _whole(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    text = request.GET.get(name) or str(default)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ParamError(
            f"{name} must be a whole number from {low} to {high}, not {text!r}", parameter=name
        )
    return int(text)


def _required(request: HttpRequest, name: str) -> str:
    value = (request.GET.get(name) or "").strip()
    if not value:
        raise ParamError(f"{name} is required", parameter=name)
    return value


def _classes_json(classes: Classes) -> dict[str, Any]:
    return {
        "method": classes.method.value,
        "kind": classes.kind,
        "k": len(classes.bands),
        "bands": [
            {"lower": b.lower, "upper": b.upper, "count": b.count}
            if b.count
            else {"lower": None, "upper": None, "count": 0}
            for b in classes.bands
        ],
    }


def _citation(table: ReleasedTable) -> dict[str, Any]:
    """The agreement the figures were read under, with its title and protective marking."""
    decision = table.decision
    dataset = table.indicator.dataset
    cited: dict[str, Any] = {
        "dataset_id": dataset.id,
        "dataset_title": dataset.title,
        "owner": dataset.owner.name,
        "source": dataset.source,
        "licence": dataset.licence,
    }
    if decision.agreement_ref and decision.agreement_version:
        version = version_named(decision.agreement_ref, decision.agreement_version)
        cited.update(
            agreement_title=version.title if version else "",
            marking=version.marking if version else "OFFICIAL-SENSITIVE",
        )
    else:
        cited.update(agreement_title="", marking="")
    return cited


def _summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        status: sum(1 for r in rows if r["status"] == status)
        for status in ("shown", "withheld", "no_data")
    }


def _map_query(request: HttpRequest) -> dict[str, Any]:
    """The parameters of one map view, checked; every error names its parameter."""
    mode = _choice(request, "mode", MODES, "value")
    method = Method(
        _choice(request, "method", tuple(m.value for m in Method), Method.QUANTILES.value)
    )
    k = _whole(request, "k", 5, MIN_CLASSES, MAX_CLASSES)
    query = {
        "indicator": _required(request, "indicator"),
        "level": _required(request, "level"),
        "period": (request.GET.get("period") or "").strip() or None,
        "mode": mode,
        "method": method,
        "k": k,
    }
    if mode == "change":
        if k % 2 == 0:
            raise ParamError(
                f"k must be odd for a change map (3, 5, 7 or 9), not {k}", parameter="k"
            )
        query["base"] = _required(request, "base")
        query["change"] = ChangeKind(
            _choice(
                request, "change", tuple(c.value for c in ChangeKind), ChangeKind.ABSOLUTE.value
            )
        )
    return query


def _reader(request: HttpRequest, use: Use) -> tuple[Any, str | None]:
    """Who reads and for what purpose: the public is no one, with no purpose (a signed-in
    user on the public map sees exactly what anyone sees there)."""
    if use is Use.PUBLIC:
        return None, None
    return request.user, _purpose(request)


def _read(
    request: HttpRequest, query: dict[str, Any], *, use: Use, period: str | None
) -> ReleasedTable:
    user, purpose = _reader(request, use)
    return read_values(
        user,
        indicator=query["indicator"],
        level=query["level"],
        period=period,
        use=use,
        purpose=purpose,
    )


def map_payload(request: HttpRequest, query: dict[str, Any], *, use: Use) -> dict[str, Any]:
    """The figures of one map view (value or change) in the API's JSON shape, with class
    breaks over the shown figures and each area's class, rank and decile."""
    table = _read(request, query, use=use, period=query["period"])
    meta = table_meta(table)
    if query["mode"] == "value":
        rows = [row_json(r) for r in table.rows]
        order = rank_order(Polarity(table.indicator.polarity))
        meta["rank_order"] = order
        ranks = standings([r.value for r in table.rows], lowest_first=order == "lowest_first")
        for row, standing in zip(rows, ranks, strict=True):
            row.update(
                rank=standing.rank if standing else None,
                decile=standing.decile if standing else None,
            )
        classes = classify([r.value for r in table.rows], method=query["method"], k=query["k"])
    else:
        before = _read(request, query, use=use, period=query["base"])
        if before.period.code == table.period.code:
            raise ParamError("choose two different periods to map a change", parameter="base")
        earlier = {r.area_code: r for r in before.rows}
        rows = []
        for row in table.rows:
            was = earlier.get(row.area_code)
            change = change_between(
                was.value if was else None,
                was.status if was else "no_data",
                row.value,
                row.status,
                kind=query["change"],
            )
            rows.append(
                {
                    "area_code": row.area_code,
                    "area_name": row.area_name,
                    "value": change.value,
                    "status": change.status,
                    "marker": change.marker,
                    "rounded_to": None,
                    "from": was.value if was and was.status == "shown" else None,
                    "to": row.value if row.status == "shown" else None,
                }
            )
        classes = classify(
            [r["value"] for r in rows], method=query["method"], k=query["k"], diverging=True
        )
        meta.update(
            change={
                "from": before.period.code,
                "to": table.period.code,
                "kind": query["change"].value,
            },
            n_withheld=sum(1 for r in rows if r["status"] == "withheld"),
        )
    for row, cls in zip(rows, classes.of_value, strict=True):
        row["class"] = cls
    return {
        **meta,
        "mode": query["mode"],
        "citation": _citation(table),
        "summary": _summary(rows),
        "classes": _classes_json(classes),
        "values": rows,
    }


def _refusal(error: AccessRefused, *, use: Use) -> JsonResponse:
    reason = error.decision.reason.value
    explained = {
        "use_not_permitted": f"Your agreement for this dataset does not allow the use '{use.value}'"
        + (" (downloads need an agreement that allows export)." if use is Use.EXPORT else "."),
        "level_too_fine": "Your agreement does not allow this dataset at so fine a level.",
        "purpose_not_permitted": "The agreement does not allow the purpose stated for this "
        "session.",
        "purpose_not_stated": "State the purpose of this session first.",
        "no_agreement": "No sharing agreement gives your agency this dataset.",
    }.get(reason, f"Access refused ({reason.replace('_', ' ')}).")
    return problem(403, "Access refused", explained, reason=reason)


@require_GET
@gzip_page
def values(request: HttpRequest) -> HttpResponse:
    """GET /map/values/: one map view's figures, read for use `map`."""
    if (refused := _signed_in(request)) is not None:
        return refused
    try:
        payload = map_payload(request, _map_query(request), use=Use.MAP)
    except AccessRefused as error:
        return _refusal(error, use=Use.MAP)
    except DomainError as error:
        return _json_problem(error)
    response = JsonResponse(payload)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """GET /map/search/?q=: areas by name or code (public boundaries, no figures)."""
    if (refused := _signed_in(request)) is not None:
        return refused
    text = (request.GET.get("q") or "").strip()
    if len(text) < 2:
        return JsonResponse({"results": []})
    levels = [lv.slug for lv in loaded_levels()]
    return JsonResponse({"results": [asdict(a) for a in search_areas(text, levels=levels)]})


@require_GET
def area(request: HttpRequest) -> HttpResponse:
    """GET /map/area/: the side panel's figures for one area (see area_payload)."""
    if (refused := _signed_in(request)) is not None:
        return refused
    try:
        payload = area_payload(request)
    except AccessRefused as error:
        return _refusal(error, use=Use.MAP)
    except DomainError as error:
        return _json_problem(error)
    response = JsonResponse(payload)
    response["Cache-Control"] = "private, no-store"
    return response


def area_payload(request: HttpRequest, *, use: Use = Use.MAP) -> dict[str, Any]:
    """One area's figures for the chosen indicator and period from the area profile
    (layers.profile, read for use `map`, or `public`): value and interval, rank and
    decile in the partnership, the district's and the partnership's figures, and the
    trend."""
    level = _required(request, "level")
    user, purpose = _reader(request, use)
    area = find_area(user, _required(request, "code"), level=level)
    profile = area_profile(
        user,
        area,
        use=use,
        purpose=purpose,
        indicators=[_required(request, "indicator")],
        period=(request.GET.get("period") or "").strip() or None,
    )
    if not profile.indicators:
        raise NotFound("no published figures for this indicator yet", parameter="indicator")
    return {
        **profile_json(profile),
        "profile_url": reverse("public-profile", kwargs={"level": area.level, "code": area.code})
        if use is Use.PUBLIC
        else reverse("map") + f"profiles/{area.level}/{area.code}/",
    }


def _export(request: HttpRequest, fmt: str) -> dict[str, Any] | HttpResponse:
    """The figures on screen read again for use `export` (refused without it), and an
    `export.<fmt>` audit event naming what left."""
    if (refused := _signed_in(request)) is not None:
        return refused
    try:
        query = _map_query(request)
        payload = map_payload(request, query, use=Use.EXPORT)
    except AccessRefused as error:
        return _refusal(error, use=Use.EXPORT)
    except DomainError as error:
        return _json_problem(error)
    agreement = payload["agreement"] or {}
    audit.record(
        action=f"export.{fmt}",
        outcome=payload["access"],
        user=request.user,
        dataset_id=payload["citation"]["dataset_id"],
        level=query["level"],
        agreement_ref=agreement.get("reference"),
        agreement_version=agreement.get("version"),
        use=Use.EXPORT.value,
        purpose=_purpose(request),
        n_returned=payload["count"],
        n_withheld=payload["summary"]["withheld"],
        detail={
            "indicator": payload["indicator"]["slug"],
            "period": payload["period"]["code"],
            "mode": payload["mode"],
            **({"from": payload["change"]["from"]} if payload["mode"] == "change" else {}),
        },
    )
    return payload


@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """GET /map/export.csv: what is on screen as CSV, read for use `export` (audited)."""
    payload = _export(request, "csv")
    if isinstance(payload, HttpResponse):
        return payload
    response = HttpResponse(_csv(payload), content_type="text/csv; charset=utf-8")
    name = f"{payload['indicator']['slug']}-{payload['level']}-{payload['period']['code']}"
    if payload["mode"] == "change":
        name += f"-change-from-{payload['change']['from']}"
    response["Content-Disposition"] = f'attachment; filename="{name.replace("/", "-")}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv(payload: dict[str, Any]) -> str:
    out = io.StringIO()
    citation, agreement = payload["citation"], payload["agreement"]
    indicator = payload["indicator"]
    if agreement:
        out.write(f"# {citation['marking']}\n")
    out.write(
        f"# {indicator['name']} ({indicator['slug']}); level {payload['level']}; "
        f"period {payload['period']['code']}"
        + (
            f"; {payload['change']['kind']} change from {payload['change']['from']}"
            if payload["mode"] == "change"
            else ""
        )
        + "\n"
    )
    out.write(
        f"# {citation['dataset_title']} ({citation['owner']}); release {payload['release']['id']}\n"
    )
    out.write(
        "# access: "
        + (
            f"agreement {agreement['reference']} v{agreement['version']} "
            f"({citation['agreement_title']}); {payload['policy']['description']}"
            if agreement
            else "own agency's data"
        )
        + "\n"
    )
    if indicator["simulated"]:
        out.write("# SIMULATED figures (demo data)\n")
    for note in NOTES:
        out.write(f"# {note}\n")
    if payload["mode"] == "change":
        out.write("# [z]: not applicable (a percentage change from 0)\n")
    writer = csv.writer(out, lineterminator="\n")
    change = payload["mode"] == "change"
    writer.writerow(
        [
            "area_code",
            "area_name",
            *(["from", "to", "change"] if change else ["value"]),
            "status",
            "rank",
            "decile",
            "class",
        ]
    )
    for row in payload["values"]:
        value = row["marker"] if row["value"] is None else _number(row["value"])
        figures = [_cell(row["from"]), _cell(row["to"]), value] if change else [value]
        writer.writerow(
            [
                row["area_code"],
                neutral(row["area_name"]),
                *figures,
                row["status"],
                row.get("rank") or "",
                row.get("decile") or "",
                "" if row["class"] is None else row["class"] + 1,
            ]
        )
    return out.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None else _number(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@require_GET
def export_png(request: HttpRequest) -> HttpResponse:
    """GET /map/export/png/: permission and caption for a PNG of the map. The picture is
    drawn in the browser from figures it already holds, but a download is an export:
    this read (use `export`) refuses it where the agreement does not allow export, and
    audits it where it does."""
    payload = _export(request, "png")
    if isinstance(payload, HttpResponse):
        return payload
    citation, agreement = payload["citation"], payload["agreement"]
    return JsonResponse(
        {
            "marking": citation["marking"],
            "caption": " · ".join(
                part
                for part in (
                    f"{citation['dataset_title']} ({citation['owner']})",
                    (
                        f"shared under {agreement['reference']} v{agreement['version']}"
                        f" {citation['agreement_title']}".rstrip()
                        if agreement
                        else "own agency's data"
                    ),
                    payload["policy"]["description"] if payload["policy"] else "",
                    "SIMULATED figures" if payload["indicator"]["simulated"] else "",
                    f"exported by {request.user.get_username()} on {timezone.localdate():%d %b %Y}",
                )
                if part
            ),
        }
    )
