"""The ZIP of many profiles (run by the background worker through portal.tasks): each
area is read as its own `export` use through layers.profile (one audit event each), and
rendered in every format asked for. An area no agreement allows exporting, or one gone
since the request, is listed in the ZIP's README instead."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from layers.domain.errors import NotFound
from layers.domain.marking import document_marking
from layers.exports import (
    export_file,
    fail_job,
    finish_job,
    job_progress,
    start_job,
    store,
)
from layers.models import ProfileExportJob
from layers.profile import find_area
from layers.read import AccessRefused
from portal.exports.document import refusals
from portal.exports.render import export_profile


def build_zip(job_id: int) -> None:
    job = start_job(job_id)
    user = job.user
    made_at = timezone.now()
    target = store() / f"{job.public_id}.zip"
    left_out: list[str] = []
    markings: set[str] = set()
    agreements: set[str] = set()
    partial: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(dir=store(), suffix=".part", delete=False) as handle:
            partial = Path(handle.name)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for i, code in enumerate(job.codes, start=1):
                try:
                    area = find_area(user, code, level=job.level)
                    files, origin = export_profile(
                        user,
                        area,
                        formats=list(job.formats),
                        purpose=job.purpose or None,
                        made_at=made_at,
                        note={"export_job": job.public_id},
                    )
                except AccessRefused as refusal:
                    reasons = "; ".join(
                        f"{title}: {why}" for title, why in refusals(refusal.refused)
                    )
                    left_out.append(f"{code}: not exported ({reasons})")
                    job_progress(job, n_done=i, n_refused=len(left_out))
                    continue
                except NotFound:
                    left_out.append(f"{code}: no longer there, or no longer yours to see")
                    job_progress(job, n_done=i, n_refused=len(left_out))
                    continue
                markings.add(origin.marking)
                agreements.update(
                    f"{c.reference} v{c.version}" for c in origin.citations if c.reference
                )
                for fmt, content in files.items():
                    archive.writestr(f"{fmt}/{export_file(area.code, made_at, fmt)}", content)
                job_progress(job, n_done=i, n_refused=len(left_out))
            archive.writestr("README.txt", _readme(job, made_at, markings, agreements, left_out))
        partial.replace(target)
    except Exception as error:
        if partial is not None:
            partial.unlink(missing_ok=True)
        fail_job(job, f"the export stopped: {type(error).__name__}")
        raise
    name = f"profiles-{job.level}-{job.within or 'all'}-{timezone.localtime(made_at):%Y-%m-%d}.zip"
    finish_job(job, file_name=name, size=target.stat().st_size, n_refused=len(left_out))


def _readme(
    job: ProfileExportJob,
    made_at: datetime,
    markings: set[str],
    agreements: set[str],
    left_out: list[str],
) -> str:
    lines = [
        document_marking(markings),
        "",
        f"Profiles: {job.description}",
        f"Made {timezone.localtime(made_at):%d %B %Y %H:%M} for {job.user.get_username()}",
        "Figures shared under: " + (", ".join(sorted(agreements)) or "own agency's data only"),
        "Each file carries its own marking, agreements and notes.",
        "",
    ]
    if left_out:
        lines.append("Not included:")
        lines += [f"- {line}" for line in left_out]
    return "\n".join(lines) + "\n"
