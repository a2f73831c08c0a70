"""GET /healthz: is this node able to serve? For load balancers and the compose health
check. Checks the database (one query) and Redis when one is configured; says which
failed, never how (no DSNs, no stack traces)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from layers.models import GeographyLevel

log = logging.getLogger(__name__)


def _database() -> str:
    try:
        GeographyLevel.objects.exists()
    except Exception:
        log.exception("health check: database")
        return "unavailable"
    return "ok"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        cache.set("healthz", "ok", 10)
        if cache.get("healthz") != "ok":
            return "unavailable"
    except Exception:
        log.exception("health check: redis")
        return "unavailable"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "redis": _redis()}
    healthy = all(state in ("ok", "not configured") for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
