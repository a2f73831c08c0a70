"""Query parameters -> plain values, or a ParamError (400) that names the parameter."""

from __future__ import annotations

from typing import Any

from layers.domain.errors import ParamError
from layers.models import Membership

FORMATS = ("json", "csv", "geojson")
_ACCEPT = {"text/csv": "csv", "application/geo+json": "geojson", "application/json": "json"}


def output_format(request: Any, allowed: tuple[str, ...] = FORMATS) -> str:
    """`?format=` wins; then the Accept header; JSON by default."""
    asked = request.query_params.get("format")
    if asked is not None:
        if asked not in allowed:
            raise ParamError(
                f"format {asked!r} is not offered here (formats: {', '.join(allowed)})",
                parameter="format",
            )
        return asked
    for part in request.headers.get("Accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if _ACCEPT.get(media) in allowed:
            return _ACCEPT[media]
    return "json"


def purpose_of(request: Any) -> str | None:
    """The stated purpose: `?purpose=`, else the browser session's, else the account's
    default (service accounts of partner systems have one)."""
    asked = request.query_params.get("purpose")
    if asked:
        return str(asked).strip()
    session = getattr(request, "session", None)
    if session is not None and session.get("purpose"):
        return str(session["purpose"])
    default = (
        Membership.objects.filter(user_id=request.user.id)
        .exclude(default_purpose="")
        .order_by("agency_id")
        .values_list("default_purpose", flat=True)
        .first()
    )
    return default or None


def whole_number(request: Any, name: str, *, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        number = int(text)
    except ValueError:
        raise ParamError(f"{name} must be a whole number, not {text!r}", parameter=name) from None
    if not low <= number <= high:
        raise ParamError(f"{name} must be from {low} to {high}, not {number}", parameter=name)
    return number


def decimal(request: Any, name: str, *, default: float, low: float, high: float) -> float:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        number = float(text)
    except ValueError:
        raise ParamError(f"{name} must be a number, not {text!r}", parameter=name) from None
    if not low <= number <= high:  # also refuses nan
        raise ParamError(f"{name} must be from {low:g} to {high:g}, not {text}", parameter=name)
    return number


def bbox(request: Any) -> tuple[float, float, float, float] | None:
    """`bbox=minlon,minlat,maxlon,maxlat` in WGS84 degrees."""
    text = request.query_params.get("bbox")
    if not text:
        return None
    parts = text.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        raise ParamError(
            f"bbox must be four numbers minlon,minlat,maxlon,maxlat, not {text!r}",
            parameter="bbox",
        )
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ParamError(
            "bbox must be minlon,minlat,maxlon,maxlat in degrees with min below max",
            parameter="bbox",
        )
    return minx, miny, maxx, maxy


def required(request: Any, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise ParamError(f"{name} is required", parameter=name)
    return str(value)


def listed(request: Any, name: str) -> list[str] | None:
    """`?name=a,b` or `?name=a&name=b` -> ["a", "b"]; None when not given."""
    items = [
        part.strip()
        for value in request.query_params.getlist(name)
        for part in str(value).split(",")
        if part.strip()
    ]
    return items or None
