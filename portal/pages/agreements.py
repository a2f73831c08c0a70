"""Information managers: agreements (list, create, edit, suspend, renew, usage and its
report with the products that used it) and the audit trail (search, filter, CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from itertools import chain
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from layers import audit
from layers.agreements import (
    agreements_due,
    create_agreement,
    edit_agreement,
    managed_agency_ids,
    open_signed_document,
    renew_agreement,
    suspend_agreement,
    terms_of_version,
    usage_of,
    visible_agreements,
)
from layers.domain.spreadsheet import neutral
from layers.models import Agency, Agreement, Membership
from layers.products import product_agencies
from layers.usage import default_period, usage_report
from portal.forms import AgreementForm, AuditFilterForm, RenewForm, SuspendForm

View = Callable[..., HttpResponse]


def information_manager_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not managed_agency_ids(request.user):  # type: ignore[arg-type]
            return render(
                request,
                "portal/forbidden.html",
                {"message": "These pages are for information managers."},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


def _agreement_for(request: HttpRequest, reference: str) -> Agreement:
    """The agreement, if this information manager may see it; 404 (not 403) otherwise, so
    references of other partnerships' agreements cannot be probed."""
    agreement = visible_agreements(request.user).filter(reference=reference).first()  # type: ignore[arg-type]
    if agreement is None:
        raise Http404("No such agreement")
    return agreement


def _may_change(request: HttpRequest, agreement: Agreement) -> bool:
    return agreement.provider_id in managed_agency_ids(request.user)  # type: ignore[arg-type]


@information_manager_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    agreements = visible_agreements(request.user).select_related("provider")  # type: ignore[arg-type]
    status = request.GET.get("status", "")
    rows = []
    for agreement in agreements.order_by("reference"):
        current = agreement.current
        if status and current.status != status:
            continue
        rows.append(
            {
                "agreement": agreement,
                "current": current,
                "recipients": [a.name for a in current.recipients.all()],
            }
        )
    today = timezone.localdate()
    return render(
        request,
        "portal/agreements/list.html",
        {
            "rows": rows,
            "status": status,
            "due": agreements_due(agreements, on=today),
            "today": today,
            "statuses": ["draft", "active", "suspended", "expired"],
        },
    )


def _providers(request: HttpRequest) -> list[Agency]:
    return list(Agency.objects.filter(id__in=managed_agency_ids(request.user)))  # type: ignore[arg-type]


@information_manager_required
def agreement_new(request: HttpRequest) -> HttpResponse:
    form = AgreementForm(request.POST or None, request.FILES or None, providers=_providers(request))
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"].strip()
        if Agreement.objects.filter(reference=reference).exists():
            form.add_error("reference", "an agreement with this reference exists")
        else:
            agreement = create_agreement(
                reference=reference,
                provider=Agency.objects.get(slug=form.cleaned_data["provider"]),
                terms=form.terms(),
                acting_user=request.user,  # type: ignore[arg-type]
                signed_document=form.cleaned_data.get("signed_document"),
            )
            return redirect("agreement-detail", reference=agreement.reference)
    return render(request, "portal/agreements/form.html", {"form": form, "creating": True})


@information_manager_required
def agreement_detail(request: HttpRequest, reference: str) -> HttpResponse:
    agreement = _agreement_for(request, reference)
    return render(
        request,
        "portal/agreements/detail.html",
        {
            "agreement": agreement,
            "current": agreement.current,
            "versions": agreement.versions.select_related("created_by").order_by("-version"),
            "usage": usage_of(agreement),
            "may_change": _may_change(request, agreement),
            "suspend_form": SuspendForm(),
            "renew_form": RenewForm(),
        },
    )


@information_manager_required
def agreement_version(request: HttpRequest, reference: str, version: int) -> HttpResponse:
    agreement = _agreement_for(request, reference)
    shown = agreement.versions.filter(version=version).first()
    if shown is None:
        raise Http404("No such version")
    return render(
        request,
        "portal/agreements/version.html",
        {"agreement": agreement, "version": shown, "terms": terms_of_version(shown)},
    )


@login_required
def agreement_document(request: HttpRequest, reference: str, version: int) -> HttpResponse:
    """The signed document of one version, as an attachment. Only a reader who may see the
    agreement gets it; anyone else gets the same 404 as for an unknown reference."""
    agreement = _agreement_for(request, reference)
    shown = agreement.versions.filter(version=version).first()
    document = (
        open_signed_document(shown, reader=request.user)  # type: ignore[arg-type]
        if shown is not None
        else None
    )
    if document is None:
        raise Http404("No such document")
    response = FileResponse(
        document.handle,
        as_attachment=True,
        filename=document.filename,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@information_manager_required
def agreement_edit(request: HttpRequest, reference: str) -> HttpResponse:
    agreement = _agreement_for(request, reference)
    if not _may_change(request, agreement):
        raise Http404("No such agreement")
    current = agreement.current
    initial = {
        **terms_of_version(current),
        "reference": agreement.reference,
        "provider": agreement.provider.slug,
        "purposes": ", ".join(current.purposes),
    }
    form = AgreementForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        providers=[agreement.provider],
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        version = edit_agreement(
            agreement,
            form.terms(),
            acting_user=request.user,  # type: ignore[arg-type]
            note=form.cleaned_data["change_note"] or "edited",
            signed_document=form.cleaned_data.get("signed_document"),
        )
        if version is None:
            form.add_error(None, "Nothing changed: no new version was made.")
        else:
            return redirect("agreement-detail", reference=agreement.reference)
    return render(
        request,
        "portal/agreements/form.html",
        {"form": form, "creating": False, "agreement": agreement},
    )


@require_POST
@information_manager_required
def agreement_suspend(request: HttpRequest, reference: str) -> HttpResponse:
    agreement = _agreement_for(request, reference)
    form = SuspendForm(request.POST)
    if not _may_change(request, agreement):
        raise Http404("No such agreement")
    if form.is_valid():
        suspend_agreement(agreement, reason=form.cleaned_data["reason"], acting_user=request.user)  # type: ignore[arg-type]
        return redirect("agreement-detail", reference=agreement.reference)
    return render(
        request,
        "portal/agreements/detail.html",
        {
            "agreement": agreement,
            "current": agreement.current,
            "versions": agreement.versions.all(),
            "usage": usage_of(agreement),
            "may_change": True,
            "suspend_form": form,
            "renew_form": RenewForm(),
        },
        status=400,
    )


@require_POST
@information_manager_required
def agreement_renew(request: HttpRequest, reference: str) -> HttpResponse:
    agreement = _agreement_for(request, reference)
    if not _may_change(request, agreement):
        raise Http404("No such agreement")
    form = RenewForm(request.POST)
    if form.is_valid() and form.cleaned_data["ends_on"] < agreement.current.starts_on:
        form.add_error("ends_on", "must be after the agreement starts")
    if form.is_valid():
        renew_agreement(
            agreement,
            ends_on=form.cleaned_data["ends_on"],
            review_on=form.cleaned_data["review_on"],
            acting_user=request.user,
        )  # type: ignore[arg-type]
        return redirect("agreement-detail", reference=agreement.reference)
    return render(
        request,
        "portal/agreements/detail.html",
        {
            "agreement": agreement,
            "current": agreement.current,
            "versions": agreement.versions.all(),
            "usage": usage_of(agreement),
            "may_change": True,
            "suspend_form": SuspendForm(),
            "renew_form": form,
        },
        status=400,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


AUDIT_COLUMNS = (
    "at",
    "username",
    "agency",
    "action",
    "outcome",
    "dataset",
    "level",
    "agreement_ref",
    "agreement_version",
    "use",
    "purpose",
    "n_returned",
    "n_withheld",
    "request_id",
    "detail",
)


def _audit_row(event: Any) -> list[Any]:
    return [
        event.at.isoformat(),
        event.username,
        event.agency.slug if event.agency else "",
        event.action,
        event.outcome,
        event.dataset.slug if event.dataset else "",
        event.level,
        event.agreement_ref,
        event.agreement_version or "",
        event.use,
        event.purpose,
        event.n_returned,
        event.n_withheld,
        event.request_id,
        event.detail_text,
    ]


@information_manager_required
def audit_list(request: HttpRequest) -> HttpResponse:
    agencies = list(Agency.objects.filter(id__in=managed_agency_ids(request.user)))  # type: ignore[arg-type]
    form = AuditFilterForm(request.GET or None, agencies=list(Agency.objects.all()))
    events = audit.events_visible_to(request.user)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
        events = audit.filter_events(events, **filters)
    else:
        events = audit.filter_events(events)
    if request.GET.get("format") == "csv":
        writer = csv.writer(_Echo())
        rows = (writer.writerow(_audit_row(e)) for e in events.iterator())
        response = StreamingHttpResponse(
            chain([writer.writerow(AUDIT_COLUMNS)], rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        audit.record(
            action="audit.exported",
            user=request.user,
            detail={k: str(v) for k, v in filters.items()},
        )
        return response
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/audit/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "agencies": agencies},
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


USAGE_COLUMNS = (
    "section",
    "item",
    "level",
    "reads",
    "values_returned",
    "values_withheld",
    "product_kind",
    "product_agency",
    "product_date",
    "served",
    "outcome",
    "outcome_date",
)


def _usage_csv(report: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(USAGE_COLUMNS)
    writer.writerow(
        [
            "period",
            f"{report.start.isoformat()} to {report.end.isoformat()}",
            "",
            report.total.reads,
            report.total.returned,
            report.total.withheld,
        ]
        + [""] * 6
    )
    for section, rows in (
        ("use", report.by_use),
        ("agency", report.by_agency),
        ("purpose", report.by_purpose),
        ("month", report.by_month),
        ("dataset", report.by_dataset),
    ):
        for t in rows:
            writer.writerow(
                [section, neutral(t.label), neutral(t.extra), t.reads, t.returned, t.withheld]
                + [""] * 6
            )
    for p in report.products:
        writer.writerow(
            [
                "product",
                neutral(p.title + (" (demo, simulated)" if p.is_demo else "")),
                "",
                "",
                "",
                "",
                p.get_kind_display(),
                neutral(p.agency.name),
                p.made_on.isoformat(),
                neutral(p.served),
                neutral(p.outcome),
                p.outcome_on.isoformat() if p.outcome_on else "",
            ]
        )
    if report.n_products_not_listed:
        writer.writerow(
            ["products by other recipients (not listed)", report.n_products_not_listed] + [""] * 10
        )
    return out.getvalue()


@login_required
def agreement_usage(request: HttpRequest, reference: str) -> HttpResponse:
    """GET /agreements/<reference>/usage/: how often and for what the agreement was used
    in a period (default: the last 12 months, or since it started), from the audit trail,
    and the products that cite reads made under it. `?format=csv` downloads it. Only an
    information manager of the provider or a recipient sees it; anyone else gets the
    404 of an unknown reference (visible_agreements is empty for a non-manager)."""
    agreement = _agreement_for(request, reference)
    default_start, default_end = default_period(agreement)
    form = PeriodForm(request.GET or None)
    start, end = default_start, default_end
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or default_start
        end = form.cleaned_data["end"] or default_end
    if end < start:
        start, end = end, start
    # Ten years at most: the monthly table has a row for every month asked for.
    start = max(start, end - timedelta(days=3660))
    member_of = set(
        Membership.objects.filter(user=request.user).values_list("agency_id", flat=True)
    )
    report = usage_report(
        agreement,
        start=start,
        end=end,
        products_of=None if agreement.provider_id in member_of else member_of,
    )
    if request.GET.get("format") == "csv":
        audit.record(
            action="agreement.usage_exported",
            user=request.user,
            agency_id=audit.home_agency_id(request.user),
            agreement_ref=agreement.reference,
            detail={"start": start.isoformat(), "end": end.isoformat()},
        )
        response = HttpResponse(_usage_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{_safe(agreement.reference)}-usage-{start}-{end}.csv"'
        )
        response["Cache-Control"] = "private, no-store"
        return response
    own = {a.id for a in product_agencies(request.user)}  # type: ignore[arg-type]
    return render(
        request,
        "portal/agreements/usage.html",
        {
            "agreement": agreement,
            "report": report,
            "form": PeriodForm(initial={"start": start, "end": end}),
            "start": start,
            "end": end,
            "own_agencies": own,
        },
    )


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
