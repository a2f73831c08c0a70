"""Performance review: the partnership's priorities for an area, and its downloads.
Every figure comes from layers.priorities (the one read path); viewing is a `map` use,
each download an `export` use, each audited as one read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from layers.domain.access import Use
from layers.domain.errors import NotFound
from layers.priorities import DashboardArea, area_choices, dashboard, find_dashboard_area
from portal.exports.priorities import (
    build_priority_document,
    render_csv,
    render_pdf,
    render_xlsx,
)
from portal.pages.profiles import _ask_purpose, _purpose

FORMATS = ("pdf", "xlsx", "csv")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _area(request: HttpRequest, key: str | None) -> DashboardArea:
    try:
        return find_dashboard_area(request.user, key)
    except NotFound:
        raise Http404("No such area") from None


@login_required
def priorities_page(request: HttpRequest) -> HttpResponse:
    purpose = _purpose(request)
    if purpose is None:
        return _ask_purpose(request)
    area = _area(request, request.GET.get("area"))
    board = dashboard(request.user, area, use=Use.MAP, purpose=purpose)
    doc = build_priority_document(request.user, board, made_at=timezone.now())
    return render(
        request,
        "portal/priorities/page.html",
        {"doc": doc, "choices": area_choices(request.user), "formats": FORMATS},
    )


@require_POST
@login_required
def priorities_export(request: HttpRequest) -> HttpResponse:
    """The dashboard as a file: an `export` use; refused (403) when no agreement allows
    exporting any priority's figures."""
    purpose = _purpose(request)
    if purpose is None:
        return _ask_purpose(request)
    fmt = request.POST.get("format", "")
    if fmt not in FORMATS:
        message = f"Choose a format: {', '.join(FORMATS)}."
        return render(request, "portal/forbidden.html", {"message": message}, status=400)
    area = _area(request, request.POST.get("area"))
    made_at = timezone.now()
    board = dashboard(request.user, area, use=Use.EXPORT, purpose=purpose, note={"format": fmt})
    if not board.indicators:
        message = "No agreement allows you to export the figures of any priority for this area."
        return render(request, "portal/forbidden.html", {"message": message}, status=403)
    doc = build_priority_document(request.user, board, made_at=made_at)
    body = (
        render_csv(doc).encode("utf-8")
        if fmt == "csv"
        else render_xlsx(doc)
        if fmt == "xlsx"
        else render_pdf(doc)
    )
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    safe = "".join(ch for ch in area.code if ch.isalnum() or ch == "-") or "area"
    name = f"priorities-{safe}-{timezone.localtime(made_at):%Y-%m-%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
