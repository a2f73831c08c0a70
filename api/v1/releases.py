"""POST /api/v1/datasets/{slug}/releases/ and GET /api/v1/releases/{id}/."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from celery.result import EagerResult
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.errors import problem
from api.v1.schema import RELEASE_UPLOAD, document
from ingest.tasks import ingest_upload
from ingest.uploads import cap_uploads
from layers.models import Dataset, Release
from layers.releases import can_publish, readable_releases

OPTION_FIELDS = ("period", "indicator", "edition_method")


def release_json(release: Release) -> dict[str, Any]:
    return {
        "id": release.public_id,
        "dataset": release.dataset.slug,
        "status": release.status,
        "file_name": release.file_name,
        "sha256": release.file_sha256,
        "uploaded_at": release.uploaded_at,
        "published_at": release.published_at,
        "n_rows": release.n_rows,
        "n_values": release.n_values,
        "n_problems": release.n_problems,
        "n_warnings": release.n_warnings,
        "conversion_method": release.conversion_method,
        "report": release.report,
    }


class DatasetReleases(APIView):
    parser_classes = (MultiPartParser, FormParser)

    @document(
        "Upload a release of one of your agency's datasets (data stewards, service accounts)",
        operation_id="release_upload",
        request={"multipart/form-data": RELEASE_UPLOAD},
        errors=(400, 403, 404, 422),
        more={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, slug: str) -> Response:
        dataset = Dataset.objects.filter(slug=slug).first()
        if dataset is None or not can_publish(request.user, dataset):
            # 404, not 403: other agencies' datasets are not the caller's to probe.
            if (
                dataset is not None
                and readable_releases(request.user).filter(dataset=dataset).exists()
            ):
                return problem(
                    403,
                    "Forbidden",
                    "only the owning agency's data stewards and service accounts publish releases",
                )
            return problem(404, "Not found", f"no dataset {slug!r} that you may publish")
        cap_uploads(request._request)  # before the body is read
        upload = request.FILES.get("file")
        if upload is None:
            return problem(
                400, "Bad request", "send the file as multipart field 'file'", parameter="file"
            )
        options: dict[str, Any] = {k: request.data[k] for k in OPTION_FIELDS if request.data.get(k)}
        if options.get("edition_method") not in (None, "best_fit"):
            return problem(
                400, "Bad request", "edition_method must be best_fit", parameter="edition_method"
            )
        options["skip_unknown_areas"] = str(request.data.get("skip_unknown_areas", "")).lower() in {
            "1",
            "true",
            "yes",
        }
        commit = str(request.data.get("dry_run", "")).lower() not in {"1", "true", "yes"}
        Path(settings.UPLOAD_TMP).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.UPLOAD_TMP, delete=False) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        task = ingest_upload.delay(
            handle.name, dataset.id, options, request.user.id, upload.name, commit, upload.size
        )
        if not isinstance(task, EagerResult):
            return Response({"job": task.id, "status": "queued"}, status=202)
        outcome = task.get()
        release = (
            Release.objects.filter(id=outcome["release"]).first() if outcome["release"] else None
        )
        body = {
            "ok": outcome["ok"],
            "committed": outcome["committed"],
            "duplicate": outcome["duplicate"],
            "release": release_json(release) if release else None,
            "report": outcome["report"],
        }
        if not outcome["ok"]:
            return problem(
                422,
                "Release rejected",
                "the file has problems; nothing was published and the file is kept",
                **body,
            )
        if outcome["duplicate"] or not outcome["committed"]:
            return Response(body, status=200)
        return Response(body, status=201)


class ReleaseDetail(APIView):
    @document("One release and its validation report", operation_id="release", errors=(404,))
    def get(self, request: Request, release_id: str) -> Response:
        release = readable_releases(request.user).filter(public_id=release_id).first()
        if release is None:
            return problem(404, "Not found", "no such release")
        return Response(release_json(release))
