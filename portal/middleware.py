"""Request id: taken from X-Request-ID (when a proxy sets one) or made here; it goes into
every audit event written while the request runs, back out in the response, and into the
one log line written for each request (path without its query string, status, time)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from psycopg.errors import QueryCanceled

from layers import audit, twofactor
from layers.audit import current_request_id
from portal.pages import errors
from portal.problems import problem

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("portal.requests")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SAFE.match(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        # No user here: reading request.user would cost a session and user query on
        # every request (cached tiles included); audit events say who did what.
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


class SessionTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_TIMEOUT seconds without a request, and
    any session SESSION_MAX_AGE seconds after sign-in, whatever its activity.

    The last-seen time is written at most once a minute, so a page that asks for many
    tiles does not write the session row on every tile.
    """

    TOUCH_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            last_seen = session.get("last_seen", now)
            signed_in_at = session.setdefault("signed_in_at", now)
            reason = (
                "idle"
                if now - last_seen > settings.SESSION_IDLE_TIMEOUT
                else "max_age"
                if now - signed_in_at > settings.SESSION_MAX_AGE
                else ""
            )
            if reason:
                audit.record(
                    action="session.expired",
                    user=user,
                    agency_id=audit.home_agency_id(user),
                    detail={"reason": reason},
                )
                logout(request)
            elif now - session.get("last_seen", 0) >= self.TOUCH_EVERY:
                session["last_seen"] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """Until a session has passed the second factor, a user who needs one (layers.twofactor
    .must_verify) reaches only the sign-in, sign-out and two-factor pages; any other page
    sends them there, and the API answers 403 for such a session. API calls with a token
    are not affected: service accounts use tokens, which are checked on their own."""

    # The public pages and API show only public data, the same for everyone.
    EXEMPT = (
        "/login/",
        "/logout/",
        "/account/two-factor/",
        "/tiles/",
        "/public/",
        "/api/v1/public/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not self._exempt(request)
            and twofactor.must_verify(user)
        ):
            if request.path.startswith("/api/"):
                if request.headers.get("Authorization"):
                    return self.get_response(request)  # a token decides, not the session
                return problem(
                    403,
                    "Two-factor sign-in required",
                    "finish signing in with your authenticator code, or use an API token",
                )
            page = "two-factor" if twofactor.authenticator(user) else "two-factor-setup"
            return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _exempt(self, request: HttpRequest) -> bool:
        path = request.path
        return path.startswith(self.EXEMPT) or path.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        )


class StatementTimeoutMiddleware:
    """A statement stopped by statement_timeout (DB_STATEMENT_TIMEOUT_MS) becomes a 503
    that says what happened and what to try, as a page or as problem+json under /api/,
    instead of a 500. It names no query and no figure."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError) and isinstance(
            exception.__cause__, QueryCanceled
        ):
            log.warning("statement timeout on %s %s", request.method, request.path)
            return errors.respond(request, 503)
        return None


NUL_DETAIL = (
    "The address holds a NUL character (%00), which no name, code or parameter may contain."
)


class NulCharacterMiddleware:
    """A NUL byte in the path or the query string is a 400 with a readable message, before
    any view passes it to PostgreSQL (which refuses NUL in text and would make it a 500).
    Form fields are Django's to check (its CharField refuses NUL); upload bodies are
    left alone here, since reading them would come before the upload size limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return errors.respond(request, 400, detail=NUL_DETAIL)
        return self.get_response(request)
