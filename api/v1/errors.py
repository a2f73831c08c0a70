"""The one table from errors to HTTP: every error leaves as application/problem+json."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from layers.domain.custom_areas import DefinitionError
from layers.domain.errors import DomainError, NotFound, ParamError
from layers.read import AccessRefused

STATUS_FOR: dict[type[DomainError], int] = {
    ParamError: 400,
    AccessRefused: 403,
    NotFound: 404,
}
PROBLEM = "application/problem+json"


def problem(status_code: int, title: str, detail: Any, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status_code, "detail": detail, **extra}
    return Response(body, status=status_code, content_type=PROBLEM)


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, AccessRefused):
        return problem(403, "Access refused", exc.public_message, reason=exc.decision.reason.value)
    for error_type, code in STATUS_FOR.items():
        if isinstance(exc, error_type):
            extra: dict[str, Any] = {}
            if isinstance(exc, DefinitionError):
                extra["problems"] = [
                    {"parameter": p.parameter, "detail": p.message} for p in exc.problems
                ]
            return problem(
                code,
                exc.code.replace("_", " ").capitalize(),
                exc.public_message,
                parameter=exc.parameter,
                **extra,
            )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = (
        response.data.get("detail", response.data)
        if isinstance(response.data, dict)
        else response.data
    )
    title = {
        400: "Bad request",
        401: "Not signed in",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        429: "Too many requests",
    }.get(response.status_code, "Error")
    extra = {}
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        extra["reason"] = getattr(exc, "get_codes", lambda: "")()
    if isinstance(exc, Http404):
        detail = "not found"
    out = problem(response.status_code, title, detail, **extra)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            out[header] = response[header]
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in out:
        out["WWW-Authenticate"] = 'Token realm="api"'
    return out
