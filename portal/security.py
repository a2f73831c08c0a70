"""Response headers Django's SecurityMiddleware does not set: the Content Security Policy
and a Permissions-Policy.

Why our own thirty lines and not django-csp: the policy is one static header. No page
has inline script or style (templates use json_script and static files), so the nonces,
per-view decorators and report-only machinery that django-csp adds have nothing to do.
The setting has the shape of Django 6.0's own `SECURE_CSP` (a dict of directive ->
sources), so moving to Django's ContentSecurityPolicyMiddleware later is deleting this
file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def policy_header(directives: Mapping[str, Sequence[str] | bool]) -> str:
    """`{"default-src": ["'self'"], "upgrade-insecure-requests": True}` ->
    "default-src 'self'; upgrade-insecure-requests"."""
    parts = []
    for name, sources in directives.items():
        if sources is True:
            parts.append(name)
        elif sources:
            parts.append(f"{name} {' '.join(sources)}")  # type: ignore[arg-type]
    return "; ".join(parts)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = policy_header(settings.SECURE_CSP)
        self.permissions = ", ".join(f"{k}=()" for k in settings.PERMISSIONS_POLICY_DENY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
