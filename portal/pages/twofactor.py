"""Two-factor sign-in pages: enrol an authenticator app (QR code drawn here, as SVG, from
the otpauth URL: no outside service sees the secret), verify a code, recovery codes.

Why django-otp and not pyotp with our own checks: django-otp is the maintained Django
framework for one-time passwords. Its TOTP device accepts each code once, follows clock
drift and slows down repeated failures, and its middleware marks a session verified
(request.user.is_verified()), which is what the rest of the portal asks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from layers import twofactor

ENROL_SESSION_KEY = "twofactor_enrol_device"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("map")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("map")
    return target


def _wait_message(until: Any) -> str:
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return f"Too many wrong codes. Wait {seconds} seconds, then try again."


def _verified(request: HttpRequest, device: Any) -> None:
    otp_login(request, device)
    # A new session key at the new privilege, as at sign-in (session fixation).
    request.session.cycle_key()


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    target = _next(request)
    if user.is_verified():
        return redirect(target)
    if twofactor.authenticator(user) is None:
        return redirect(f"{reverse('two-factor-setup')}?{urlencode({'next': target})}")
    error = ""
    if request.method == "POST":
        result = twofactor.verify(user, request.POST.get("code", ""))
        if result.device is not None:
            _verified(request, result.device)
            return redirect(target)
        if result.wait_until is not None:
            error = _wait_message(result.wait_until)
        else:
            error = (
                "That code is not right. Use the current code from your app, or a recovery code."
            )
    return render(
        request, "portal/twofactor/verify.html", {"next": target, "error": error}, status=200
    )


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    target = _next(request)
    if twofactor.authenticator(user) is not None and not user.is_verified():
        # Replacing an authenticator needs the current one first: a password alone is not
        # enough to move someone's second factor to another phone.
        return redirect(f"{reverse('two-factor')}?{urlencode({'next': request.get_full_path()})}")
    device = twofactor.pending_enrolment(user, request.session.get(ENROL_SESSION_KEY))
    request.session[ENROL_SESSION_KEY] = device.id
    error = ""
    allowed, why = device.verify_is_allowed()
    if request.method == "POST" and not allowed:
        error = _wait_message((why or {}).get("locked_until"))
    elif request.method == "POST":
        enrolled = twofactor.confirm_enrolment(user, device, request.POST.get("code", ""))
        if enrolled is not None:
            request.session.pop(ENROL_SESSION_KEY, None)
            _verified(request, enrolled.device)
            return render(
                request,
                "portal/twofactor/codes.html",
                {"codes": enrolled.recovery_codes, "next": target, "enrolled": True},
            )
        error = "That code is not right. Check the time on your phone and try the next code."
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, svgclass="qr-code", title="QR code for your authenticator app"
    )
    return render(
        request,
        "portal/twofactor/setup.html",
        {
            "qr": mark_safe(qr),  # noqa: S308 (drawn here from our own otpauth URL)
            "secret": twofactor.secret_for_display(device),
            "next": target,
            "error": error,
            "required": twofactor.is_required(user),
        },
    )


@require_POST
@login_required
def renew_codes(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.is_verified():
        return redirect(f"{reverse('two-factor')}?{urlencode({'next': reverse('account')})}")
    codes = twofactor.renew_recovery_codes(user)
    return render(
        request,
        "portal/twofactor/codes.html",
        {"codes": codes, "next": reverse("account"), "enrolled": False},
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(
        request,
        "portal/account.html",
        {
            "has_authenticator": twofactor.authenticator(user) is not None,
            "required": twofactor.is_required(user),
            "codes_left": twofactor.recovery_codes_left(user),
        },
    )
