"""Sign in (with lock-out after repeated failures), sign out, and the purpose of a session."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from layers import audit
from layers.agreements import purposes_for
from layers.signin import is_locked_out, record_failure, record_success


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
            audit.record(action="signin.locked", detail={"username": username[:150]})
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
        # Encoded, so a bookmarked map view keeps its whole query string through sign-in.
        return f"/purpose/?{urlencode({'next': target})}"


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
