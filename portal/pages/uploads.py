"""Data stewards: upload a release (processed by the background worker), follow its
progress, read and download its validation report, withdraw a bad release."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from celery.result import AsyncResult, EagerResult
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from ingest.pipeline.publish import withdraw_release
from ingest.tasks import ingest_upload
from ingest.uploads import cap_uploads
from layers.models import Release
from layers.releases import can_publish, publishable_datasets, readable_releases


class UploadForm(forms.Form):
    dataset = forms.ChoiceField()
    file = forms.FileField(
        help_text="CSV or XLSX (long or wide), or incident points (CSV with "
        "easting/northing or longitude/latitude, GeoJSON, "
        "GeoPackage, zipped Shapefile)"
    )
    period = forms.CharField(
        required=False,
        help_text="when the file has no period column: 2024, 2024/25, 2024-Q3, 2024-03",
    )
    indicator = forms.CharField(required=False, help_text="points: the indicator they count")
    skip_unknown_areas = forms.BooleanField(
        required=False,
        help_text="skip rows for areas outside this portal's geography (e.g. a national file)",
    )
    edition_method = forms.ChoiceField(
        required=False,
        choices=[("", "exact only"), ("best_fit", "best fit")],
        help_text="for areas split between boundary editions",
    )

    def __init__(self, *args: Any, datasets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(d.slug, f"{d.title} ({d.owner.name})") for d in datasets]


@csrf_exempt  # checked by _upload_list, once the upload handler is in place
def upload_list(request: HttpRequest) -> HttpResponse:
    cap_uploads(request)  # the size limit applies while the body streams in
    return _upload_list(request)


@login_required
@csrf_protect
def _upload_list(request: HttpRequest) -> HttpResponse:
    datasets = publishable_datasets(request.user)
    releases = readable_releases(request.user).order_by("-uploaded_at", "-id")[:100]
    form = UploadForm(request.POST or None, request.FILES or None, datasets=datasets)
    if request.method == "POST":
        if not datasets.exists():
            return render(
                request,
                "portal/forbidden.html",
                {"message": "Only data stewards upload releases, for their own agency's datasets."},
                status=403,
            )
        if form.is_valid():
            dataset = datasets.get(slug=form.cleaned_data["dataset"])
            upload = form.cleaned_data["file"]
            Path(settings.UPLOAD_TMP).mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=settings.UPLOAD_TMP, delete=False) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            options = {
                k: form.cleaned_data[k]
                for k in ("period", "indicator", "edition_method")
                if form.cleaned_data[k]
            }
            options["skip_unknown_areas"] = form.cleaned_data["skip_unknown_areas"]
            task = ingest_upload.delay(
                handle.name,
                dataset.id,
                options,
                request.user.id,
                upload.name,
                size_hint=upload.size,
            )
            if isinstance(task, EagerResult):
                outcome = task.get()
                if outcome["release"]:
                    made = Release.objects.get(id=outcome["release"])
                    return redirect("upload-report", release_id=made.public_id)
                return render(
                    request,
                    "portal/uploads/refused.html",
                    {"report": outcome["report"]},
                    status=400,
                )
            return redirect("upload-job", task_id=task.id)
    return render(
        request,
        "portal/uploads/list.html",
        {"form": form, "releases": releases, "can_upload": datasets.exists()},
    )


@login_required
def upload_job(request: HttpRequest, task_id: str) -> HttpResponse:
    """A page that follows a background upload (progress bar), then links to the report."""
    return render(request, "portal/uploads/job.html", {"task_id": task_id})


@login_required
def upload_job_status(request: HttpRequest, task_id: str) -> JsonResponse:
    result = AsyncResult(task_id)
    info = result.info if isinstance(result.info, dict) else {}
    body: dict[str, Any] = {"state": result.state, "rows": info.get("rows", 0)}
    if result.successful():
        release_id = result.result.get("release")
        made = readable_releases(request.user).filter(id=release_id).first() if release_id else None
        if made is not None:
            body["report_url"] = reverse("upload-report", kwargs={"release_id": made.public_id})
    return JsonResponse(body)


def _release_for(request: HttpRequest, release_id: str) -> Release:
    release = readable_releases(request.user).filter(public_id=release_id).first()
    if release is None:
        raise Http404("No such release")
    return release


@login_required
def upload_report(request: HttpRequest, release_id: str) -> HttpResponse:
    release = _release_for(request, release_id)
    report = release.report or {}
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="release-{release.public_id}-report.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(["row", "column", "value", "problem"])
        for p in report.get("problems", []):
            writer.writerow(
                [
                    p.get("row") or "",
                    p.get("column") or "",
                    _neutral(p.get("value") or ""),
                    _neutral(p["message"]),
                ]
            )
        for w in report.get("warnings", []):
            writer.writerow(["", "", "", _neutral(f"warning: {w}")])
        return response
    return render(
        request,
        "portal/uploads/report.html",
        {
            "release": release,
            "report": report,
            "can_withdraw": release.status in ("published", "superseded")
            and can_publish(request.user, release.dataset),
        },
    )


def _neutral(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@require_POST
@login_required
def upload_withdraw(request: HttpRequest, release_id: str) -> HttpResponse:
    release = _release_for(request, release_id)
    if not can_publish(request.user, release.dataset):
        raise Http404("No such release")
    reason = request.POST.get("reason", "").strip()
    if not reason:
        return render(
            request,
            "portal/uploads/report.html",
            {
                "release": release,
                "report": release.report,
                "can_withdraw": True,
                "withdraw_error": "Say why the release is withdrawn.",
            },
            status=400,
        )
    try:
        withdraw_release(release, reason=reason, acting_user=request.user)
    except ValueError as exc:
        return render(
            request,
            "portal/uploads/report.html",
            {
                "release": release,
                "report": release.report,
                "can_withdraw": False,
                "withdraw_error": str(exc),
            },
            status=400,
        )
    return redirect("upload-report", release_id=release.public_id)
