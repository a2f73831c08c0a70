"""Sign in (with lock-out after repeated failures), sign out, and the purpose of a session."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from layers import audit, twofactor
from layers.agreements import purposes_for
from layers.signin import (
    is_locked_out,
    record_failure,
    record_locked,
    record_signout,
    record_success,
)


def purpose_label(slug: str) -> str:
    return slug.replace("_", " ").replace("-", " ").capitalize()


class LockoutAuthenticationForm(AuthenticationForm):
    error_messages = {  # noqa: RUF012 (Django's own pattern)
        **AuthenticationForm.error_messages,
        "locked": "Too many failed sign-ins for this account. Wait a few minutes and try "
        "again, or ask your information manager.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if username and is_locked_out(username):
            record_locked(username, self.request.META.get("REMOTE_ADDR") if self.request else None)
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                record_failure(
                    username, self.request.META.get("REMOTE_ADDR") if self.request else None
                )
            raise


class SignInView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        record_success(form.get_user())
        return response

    def get_success_url(self) -> str:
        target = super().get_success_url()
        after = f"{reverse('purpose')}?{urlencode({'next': target})}"
        user = self.request.user
        if twofactor.must_verify(user):
            page = "two-factor" if twofactor.authenticator(user) else "two-factor-setup"
            return f"{reverse(page)}?{urlencode({'next': after})}"
        return after


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password. Every other session of the user ends with it (their
    session auth hash no longer matches); this one is kept (update_session_auth_hash)."""

    template_name = "portal/password.html"

    def get_success_url(self) -> str:
        return reverse("map")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit.record(
                action="password.changed",
                user=self.request.user,
                agency_id=audit.home_agency_id(self.request.user),
                detail={"user": self.request.user.get_username(), "source": "self"},
            )
        messages.success(self.request, "Password changed. Your other sessions have ended.")
        return response


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            record_signout(request.user)
        return super().post(request, *args, **kwargs)


@login_required
def purpose(request: HttpRequest) -> HttpResponse:
    """Ask once per session what the figures are for; reads state it (DESIGN.md gate 1)."""
    choices = purposes_for(request.user)  # type: ignore[arg-type]
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("purpose", "")
        if chosen in choices or (chosen == "own_agency" and not choices):
            request.session["purpose"] = chosen
            audit.record(action="session.purpose_stated", user=request.user, purpose=chosen)
            return redirect(target)
        error = "Choose one of the purposes listed."
    if not choices and request.method == "GET":
        request.session["purpose"] = "own_agency"
        return redirect(target)
    return render(
        request,
        "portal/purpose.html",
        {
            "choices": [(c, purpose_label(c)) for c in choices],
            "next": target,
            "error": error,
            "current": request.session.get("purpose", ""),
        },
    )
