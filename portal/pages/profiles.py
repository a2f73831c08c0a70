"""Area profiles for neighbourhood managers: the page for any area or custom area, its
exports (PDF, XLSX, CSV, HTML), and profiles of many areas at once as a ZIP made by the
background worker. Every figure comes from layers.profile (the one read path); viewing
is a `map` use, each download an `export` use, each audited as one read."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from celery.result import EagerResult
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from layers.domain.access import Use
from layers.domain.errors import NotFound, ParamError
from layers.exports import (
    FORMATS,
    bulk_choices,
    export_file,
    job_for,
    jobs_of,
    request_profile_export,
    zip_path,
)
from layers.geography import CUSTOM_PREFIX, areas_named, visible_custom_areas
from layers.locator import locator
from layers.profile import ProfileArea, area_profile, find_area, provenance
from layers.read import CUSTOM, AccessRefused
from portal.exports.document import build_document, refusals
from portal.exports.render import CONTENT_TYPES, export_profile
from portal.tasks import build_profile_zip

PURPOSE_KEY = "purpose"


def _purpose(request: HttpRequest) -> str | None:
    return request.session.get(PURPOSE_KEY) or None


def _ask_purpose(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('purpose')}?{urlencode({'next': request.get_full_path()})}")


def _area(request: HttpRequest, level: str, code: str) -> ProfileArea:
    if level == CUSTOM:
        code = f"{CUSTOM_PREFIX}{code}"
    try:
        return find_area(request.user, code, level=level)
    except (NotFound, ParamError):
        raise Http404("No such area") from None


def profile_url(area: ProfileArea) -> str:
    if area.is_custom:
        public_id = area.code.removeprefix(CUSTOM_PREFIX)
        return reverse("profile-custom", kwargs={"public_id": public_id})
    return reverse("profile", kwargs={"level": area.level, "code": area.code})


@login_required
def profile_index(request: HttpRequest) -> HttpResponse:
    """Find an area by code or name; your custom areas; profiles of many areas."""
    query = request.GET.get("q", "").strip()
    found = areas_named(query) if query else []
    customs = (
        visible_custom_areas(request.user).select_related("owner").order_by("name", "public_id")
    )
    return render(
        request,
        "portal/profiles/index.html",
        {"query": query, "found": found, "customs": customs},
    )


@login_required
def profile_page(request: HttpRequest, level: str, code: str) -> HttpResponse:
    purpose = _purpose(request)
    if purpose is None:
        return _ask_purpose(request)
    area = _area(request, level, code)
    profile = area_profile(request.user, area, use=Use.MAP, purpose=purpose)
    doc = build_document(
        profile, provenance(request.user, profile), locator=locator(area), made_by=request.user
    )
    return render(
        request,
        "portal/profiles/profile.html",
        {
            "doc": doc,
            "formats": FORMATS,
            "export_url": request.path.rstrip("/") + "/export/",
        },
    )


@login_required
def custom_profile_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return profile_page(request, CUSTOM, public_id)


@require_POST
@login_required
def profile_export(request: HttpRequest, level: str, code: str) -> HttpResponse:
    """One profile as a file: an `export` use, refused (403, with the reasons) when no
    agreement allows exporting any of its figures."""
    purpose = _purpose(request)
    if purpose is None:
        return _ask_purpose(request)
    fmt = request.POST.get("format", "")
    if fmt not in FORMATS:
        return render(
            request,
            "portal/forbidden.html",
            {"message": f"Choose a format: {', '.join(FORMATS)}."},
            status=400,
        )
    area = _area(request, level, code)
    made_at = timezone.now()
    try:
        files, _ = export_profile(
            request.user, area, formats=[fmt], purpose=purpose, made_at=made_at
        )
    except AccessRefused as refusal:
        reasons = refusals(refusal.refused)
        return render(
            request,
            "portal/profiles/export_refused.html",
            {"area": area, "profile_url": profile_url(area), "reasons": reasons},
            status=403,
        )
    response = HttpResponse(files[fmt], content_type=CONTENT_TYPES[fmt])
    name = export_file(area.code, made_at, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def custom_profile_export(request: HttpRequest, public_id: str) -> HttpResponse:
    return profile_export(request, CUSTOM, public_id)


# Profiles of many areas at once ------------------------------------------------------


@login_required
def bulk_new(request: HttpRequest) -> HttpResponse:
    purpose = _purpose(request)
    if purpose is None:
        return _ask_purpose(request)
    choices = bulk_choices(request.user)
    error = ""
    if request.method == "POST":
        try:
            job = request_profile_export(
                acting_user=request.user,
                choice=request.POST.get("areas", ""),
                formats=request.POST.getlist("formats"),
                purpose=purpose,
            )
        except ParamError as problem:
            error = problem.public_message
        else:
            task = build_profile_zip.delay(job.id)
            if isinstance(task, EagerResult):
                task.get()
            return redirect("profile-bulk-job", public_id=job.public_id)
    return render(
        request,
        "portal/profiles/bulk.html",
        {
            "choices": choices,
            "formats": FORMATS,
            "chosen_formats": request.POST.getlist("formats") or ["pdf"],
            "chosen": request.POST.get("areas", ""),
            "error": error,
            "jobs": _recent_jobs(request),
            "keep_hours": settings.EXPORT_KEEP_HOURS,
        },
        status=400 if error else 200,
    )


def _recent_jobs(request: HttpRequest) -> Any:
    return jobs_of(request.user)[:10]


@login_required
def bulk_job(request: HttpRequest, public_id: str) -> HttpResponse:
    job = job_for(request.user, public_id)
    if job is None:
        raise Http404("No such export")
    return render(request, "portal/profiles/bulk_job.html", {"job": job})


@login_required
def bulk_job_status(request: HttpRequest, public_id: str) -> JsonResponse:
    job = job_for(request.user, public_id)
    if job is None:
        raise Http404("No such export")
    body: dict[str, Any] = {
        "status": job.status,
        "done": job.n_done,
        "total": job.n_total,
        "refused": job.n_refused,
        "message": job.message,
    }
    if job.status == job.Status.DONE:
        body["download_url"] = reverse("profile-bulk-download", kwargs={"public_id": job.public_id})
    return JsonResponse(body)


@login_required
def bulk_download(request: HttpRequest, public_id: str) -> FileResponse:
    job = job_for(request.user, public_id)
    path = zip_path(job) if job is not None else None
    if job is None or path is None:
        raise Http404("No such export, or it has expired")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name)
    response["Cache-Control"] = "private, no-store"
    return response
