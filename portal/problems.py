"""Error responses in one shape: RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

from django.http import JsonResponse

from layers.domain.errors import DomainError, NotFound, ParamError

STATUS_FOR: dict[type[DomainError], tuple[int, str]] = {
    ParamError: (400, "Bad parameter"),
    NotFound: (404, "Not found"),
}


def problem(
    status: int, title: str, detail: str, *, parameter: str | None = None, **extra: object
) -> JsonResponse:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if parameter:
        body["parameter"] = parameter
    return JsonResponse(body, status=status, content_type="application/problem+json")


def problem_for(error: DomainError) -> JsonResponse:
    """The response for a domain error; its public message never holds a figure."""
    for error_type, (status, title) in STATUS_FOR.items():
        if isinstance(error, error_type):
            return problem(status, title, error.public_message, parameter=error.parameter)
    return problem(400, "Bad request", error.public_message, parameter=error.parameter)
