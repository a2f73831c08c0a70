"""GET /api/v1/indicators/{slug}/values/: the released figures of one indicator, level and
period, as JSON (default), CSV or GeoJSON. Everything comes from layers.read."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections import OrderedDict
from typing import Any

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.text import compress_string
from drf_spectacular.types import OpenApiTypes
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1 import params
from api.v1.schema import (
    FORMAT,
    LEVEL,
    PERIOD,
    PRECISION,
    PURPOSE,
    SIMPLIFY,
    VALUES,
    VALUES_GEOJSON,
    WITHIN,
    document,
)
from layers.domain.access import Use
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.spreadsheet import neutral
from layers.geography import area_geometry
from layers.read import CUSTOM, ReleasedTable, level_named, read_values

NOTES = (
    "[c]: confidential, withheld under the agreement's disclosure policy",
    "[x]: not available, no data for this area (missing is not zero)",
    "Figures are rounded independently, so totals may not equal the sum of their parts.",
)


def policy_json(policy: DisclosurePolicy | None) -> dict[str, Any] | None:
    """The disclosure policy in force (None: the owning agency's own, unprotected view)."""
    if policy is None:
        return None
    return {
        "min_count": policy.min_count,
        "round_to": policy.round_to,
        "min_denominator": policy.min_denominator,
        "zero_policy": policy.zero_policy.value,
        "secondary": policy.secondary,
        "ward_method": policy.ward_method.value,
        "description": policy.describe(),
        "in_plain_words": policy.in_plain_words(),
    }


def table_meta(table: ReleasedTable) -> dict[str, Any]:
    """Everything a reader needs to cite the figures, never a figure itself."""
    indicator, release, decision = table.indicator, table.release, table.decision
    policy = table.policy
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
        "level": table.level,
        "period": {
            "code": table.period.code,
            "start_on": table.period.start_on,
            "end_on": table.period.end_on,
        },
        "periods": [p.code for p in table.periods],
        "release": {"id": release.public_id, "published_at": release.published_at},
        "access": decision.reason.value,
        "agreement": (
            {"reference": decision.agreement_ref, "version": decision.agreement_version}
            if decision.agreement_ref
            else None
        ),
        "policy": policy_json(policy),
        "count": len(table.rows),
        "n_withheld": table.n_withheld,
        "notes": list(NOTES),
    }


def row_json(row: Any) -> dict[str, Any]:
    return {
        "area_code": row.area_code,
        "area_name": row.area_name,
        "value": row.value,
        "status": row.status,
        "marker": row.marker,
        "rounded_to": row.rounded_to,
    }


def values_csv(table: ReleasedTable) -> str:
    meta = table_meta(table)
    out = io.StringIO()
    agreement = meta["agreement"]
    out.write(
        f"# {table.indicator.name} ({table.indicator.slug}); level {table.level}; "
        f"period {table.period.code}; release {table.release.public_id}\n"
    )
    out.write(
        "# access: "
        + (
            f"agreement {agreement['reference']} v{agreement['version']}; "
            f"{meta['policy']['description']}"
            if agreement
            else "own agency's data"
        )
        + "\n"
    )
    if table.indicator.dataset.is_simulated:
        out.write("# SIMULATED figures (demo data)\n")
    for note in NOTES:
        out.write(f"# {note}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["area_code", "area_name", "value", "status", "rounded_to"])
    for row in table.rows:
        value = row.marker if row.value is None else _number(row.value)
        writer.writerow(
            [row.area_code, neutral(row.area_name), value, row.status, row.rounded_to or ""]
        )
    return out.getvalue()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def values_geojson(table: ReleasedTable, request: Request) -> dict[str, Any]:
    if table.level == CUSTOM:
        geometry: dict[str, str] = {}
    else:
        geometry = area_geometry(
            level_named(table.level),
            [r.area_code for r in table.rows],
            simplify=params.decimal(request, "simplify", default=20.0, low=0, high=5000),
            precision=params.whole_number(request, "precision", default=5, low=1, high=8),
        )
    features = [
        {
            "type": "Feature",
            "id": row.area_code,
            "geometry": json.loads(geometry[row.area_code]) if row.area_code in geometry else None,
            "properties": row_json(row),
        }
        for row in table.rows
    ]
    return {"type": "FeatureCollection", "metadata": table_meta(table), "features": features}


class IndicatorValues(APIView):
    """The released figures of one indicator at one level and period."""

    @document(
        "Released values of one indicator at one level and period (JSON, CSV or GeoJSON)",
        operation_id="indicator_values",
        parameters=[LEVEL, PERIOD, WITHIN, PURPOSE, FORMAT, SIMPLIFY, PRECISION],
        ok={
            "application/json": VALUES,
            "text/csv": OpenApiTypes.STR,
            "application/geo+json": VALUES_GEOJSON,
        },
        errors=(400, 403, 404),
    )
    def get(self, request: Request, slug: str) -> Any:
        fmt = params.output_format(request)
        table = read_values(
            request.user,
            indicator=slug,
            level=params.required(request, "level"),
            period=request.query_params.get("period"),
            within=request.query_params.get("within"),
            use=Use.API,
            purpose=params.purpose_of(request),
        )
        etag = quote_etag(f"{table.etag}-{fmt}")
        if etag in request.headers.get("If-None-Match", ""):
            response: Any = HttpResponse(status=304)
        elif fmt == "geojson":
            response = Response(values_geojson(table, request), content_type="application/geo+json")
        else:
            response = _body_response(table, fmt, request)
        if fmt == "csv" and response.status_code == 200:
            response["Content-Disposition"] = (
                f'attachment; filename="{table.indicator.slug}-{table.level}-'
                f'{table.period.code.replace("/", "-")}.csv"'
            )
        # Weak when compressed, as gzip_page makes it: the bytes differ by encoding.
        response["ETag"] = f"W/{etag}" if response.has_header("Content-Encoding") else etag
        if table.release.published_at:
            response["Last-Modified"] = http_date(table.release.published_at.timestamp())
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response


# The body of a JSON or CSV answer depends only on the released rows (`rows_key`) and on
# what cites them (`table_meta`: indicator, release, agreement, policy, counts), so it is
# kept, raw and gzipped, for the next caller the read path lets through to the same rows
# under the same terms. A national table is ~4 MB of JSON: encoding and compressing it
# again for every read would cost more than the whole read path. Access is decided and
# the read audited (layers.read) before a kept body is ever looked at.
_BODY_CACHE_SIZE = 8
_bodies: OrderedDict[str, tuple[bytes, bytes | None]] = OrderedDict()
_bodies_lock = threading.Lock()


def _body_response(table: ReleasedTable, fmt: str, request: Request) -> HttpResponse:
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    key = None
    if table.rows_key is not None:
        meta = json.dumps(table_meta(table), sort_keys=True, default=str)
        key = hashlib.sha256(f"{fmt}|{table.rows_key}|{meta}".encode()).hexdigest()
    with _bodies_lock:
        kept = _bodies.get(key) if key else None
        if kept is not None:
            _bodies.move_to_end(key)  # type: ignore[arg-type]
    if kept is None:
        if fmt == "csv":
            raw = values_csv(table).encode()
        else:
            body = {**table_meta(table), "values": [row_json(r) for r in table.rows]}
            raw = JSONRenderer().render(body)
        kept = (raw, None)
    raw, packed = kept
    wants_gzip = "gzip" in request.headers.get("Accept-Encoding", "") and len(raw) > 200
    if wants_gzip and packed is None:
        packed = compress_string(raw)
    if key is not None:
        with _bodies_lock:
            _bodies[key] = (raw, packed)
            _bodies.move_to_end(key)
            while len(_bodies) > _BODY_CACHE_SIZE:
                _bodies.popitem(last=False)
    if wants_gzip and packed is not None:
        # Compressed here, as gzip_page would, so it is not compressed again.
        response = HttpResponse(packed, content_type=content_type)
        response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ("Accept-Encoding",))
        return response
    return HttpResponse(raw, content_type=content_type)
