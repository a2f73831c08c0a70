"""Error responses when DEBUG is off: a short page for people, problem+json for the API.

None of them shows the exception: its text may hold SQL, a file path or a figure (issue
#10 "Errors"). The traceback goes to the server log only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from portal.problems import problem

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Forbidden", "You may not do this."),
    404: ("Not found", "There is nothing at this address, or nothing you may see."),
    500: ("Server error", "Something went wrong on our side. It has been logged."),
    503: (
        "Took too long",
        "The database took too long to answer and the request was stopped. Try a coarser "
        "level, a smaller area or fewer periods, or try again in a moment.",
    ),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def respond(request: HttpRequest, status: int, *, detail: str | None = None) -> HttpResponse:
    title, default = MESSAGES[status]
    detail = detail or default
    if _is_api(request):
        return problem(status, title, detail)
    return render(
        request,
        "portal/error.html",
        {"status": status, "title": title, "detail": detail},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context (it may need the database that just failed): a static page.
    title, detail = MESSAGES[500]
    if _is_api(request):
        return problem(500, title, detail)
    body = loader.get_template("portal/error_500.html").render({"title": title, "detail": detail})
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """A form sent without its CSRF token (or from another site): 403, with what to do."""
    detail = (
        "The form had expired or came from another site. Go back, reload the page and try again."
    )
    if _is_api(request):
        return problem(403, "Forbidden", detail)
    return render(
        request,
        "portal/error.html",
        {"status": 403, "title": "Form expired", "detail": detail},
        status=403,
    )
