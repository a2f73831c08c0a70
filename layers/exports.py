"""Profiles of many areas at once: the job a user asks for and its life (queued, running,
done or failed), as verb functions that audit what they change. The ZIP itself is made
by portal.exports.bulk on the background worker; every profile in it is read through
layers.profile as an `export` use and audited there, one event per area.

The ZIP is kept outside the web root (settings.EXPORT_STORE) and handed only to the user
who asked, for EXPORT_KEEP_HOURS: after that the figures may be out of date, or the
agreement they came under may have ended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from layers import audit, queries
from layers.domain.errors import ParamError
from layers.geography import custom_area_code, visible_custom_areas
from layers.models import GeographyLevel, ProfileExportJob
from layers.read import CUSTOM, first_agency_of

FORMATS = ("pdf", "xlsx", "csv", "html")
MAX_AREAS = 500


def export_file(code: str, made_at: datetime, fmt: str) -> str:
    """The file name of one exported profile: area code and date, nothing else."""
    safe = re.sub(r"[^A-Za-z0-9-]", "", code)
    return f"profile-{safe}-{timezone.localtime(made_at):%Y-%m-%d}.{fmt}"


@dataclass(frozen=True, slots=True)
class BulkChoice:
    """A set of areas whose profiles can be made at once: `value` is `level:within`."""

    value: str
    label: str
    level: str
    within: str
    codes: tuple[str, ...]


def bulk_choices(user: Any) -> list[BulkChoice]:
    """The sets of areas offered: every area of each finer level inside each district,
    every district, and the custom areas the user may see."""
    choices: list[BulkChoice] = []
    levels = list(
        GeographyLevel.objects.filter(areas__isnull=False).distinct().order_by("-edition", "slug")
    )
    districts = [lv for lv in levels if lv.kind == "lad"]
    order = {"ward": 0, "msoa": 1, "lsoa": 2, "oa": 3}
    finer = sorted(
        (lv for lv in levels if lv.kind in order), key=lambda lv: (order[lv.kind], lv.slug)
    )
    # Each finer level's areas by district: exact lookups, or (wards) the district most of
    # an area's own LSOAs lie in, as the profile's district comparator does.
    by_district = {lv.slug: queries.district_map(lv) for lv in finer}
    for district_level in districts:
        for code, name in queries.area_names(district_level).items():
            for level in finer:
                slug, district_of = by_district[level.slug]
                inside = sorted(c for c, d in district_of.items() if d == code)
                if slug == district_level.slug and inside:
                    choices.append(
                        BulkChoice(
                            value=f"{level.slug}:{code}",
                            label=f"{level.name} in {name}: {len(inside)} areas",
                            level=level.slug,
                            within=code,
                            codes=tuple(inside),
                        )
                    )
        codes = tuple(queries.area_codes(district_level))
        choices.append(
            BulkChoice(
                value=f"{district_level.slug}:",
                label=f"{district_level.name}: all {len(codes)}",
                level=district_level.slug,
                within="",
                codes=codes,
            )
        )
    customs = tuple(
        custom_area_code(c) for c in visible_custom_areas(user).order_by("name", "public_id")
    )
    if customs:
        choices.append(
            BulkChoice(
                value=f"{CUSTOM}:",
                label=f"Custom areas you may use: {len(customs)}",
                level=CUSTOM,
                within="",
                codes=customs,
            )
        )
    return choices


@transaction.atomic
def request_profile_export(
    *, acting_user: Any, choice: str, formats: list[str], purpose: str
) -> ProfileExportJob:
    """Ask for the profiles of a set of areas (one of `bulk_choices`) in the given
    formats, and audit the request. The caller hands the job to the worker."""
    offered = {c.value: c for c in bulk_choices(acting_user)}
    chosen = offered.get(choice)
    if chosen is None:
        raise ParamError("choose one of the sets of areas listed", parameter="areas")
    wanted = [f for f in FORMATS if f in formats]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not wanted:
        raise ParamError(f"choose at least one format of {', '.join(FORMATS)}", parameter="formats")
    if len(chosen.codes) > MAX_AREAS:
        raise ParamError(
            f"at most {MAX_AREAS} areas at once; this set has {len(chosen.codes)}",
            parameter="areas",
        )
    job = ProfileExportJob.objects.create(
        user=acting_user,
        purpose=purpose,
        level=chosen.level,
        within=chosen.within,
        description=chosen.label[:300],
        codes=list(chosen.codes),
        formats=wanted,
        n_total=len(chosen.codes),
    )
    audit.record(
        action="profile_export.requested",
        user=acting_user,
        agency_id=first_agency_of(acting_user),
        level=chosen.level,
        use="export",
        purpose=purpose,
        detail={
            "job": job.public_id,
            "areas": chosen.label,
            "n_areas": len(chosen.codes),
            "formats": wanted,
        },
    )
    return job


def jobs_of(user: Any) -> Any:
    return ProfileExportJob.objects.filter(user_id=getattr(user, "id", None))


def job_for(user: Any, public_id: str) -> ProfileExportJob | None:
    """The user's own job (None for anyone else's: an export is its requester's)."""
    return jobs_of(user).filter(public_id=public_id).first()


def store() -> Path:
    path = Path(settings.EXPORT_STORE)
    path.mkdir(parents=True, exist_ok=True)
    return path


def zip_path(job: ProfileExportJob) -> Path | None:
    """The finished ZIP, while it is kept (None when not done, expired or gone; an
    expired file is deleted here)."""
    if job.status != ProfileExportJob.Status.DONE or job.finished_at is None:
        return None
    path = store() / f"{job.public_id}.zip"
    if timezone.now() - job.finished_at > timedelta(hours=settings.EXPORT_KEEP_HOURS):
        path.unlink(missing_ok=True)
        return None
    return path if path.exists() else None


def start_job(job_id: int) -> ProfileExportJob:
    job = ProfileExportJob.objects.select_related("user").get(id=job_id)
    job.status = ProfileExportJob.Status.RUNNING
    job.n_done = job.n_refused = 0
    job.save(update_fields=["status", "n_done", "n_refused"])
    return job


def job_progress(job: ProfileExportJob, *, n_done: int, n_refused: int) -> None:
    ProfileExportJob.objects.filter(id=job.id).update(n_done=n_done, n_refused=n_refused)


def finish_job(job: ProfileExportJob, *, file_name: str, size: int, n_refused: int) -> None:
    job.status = ProfileExportJob.Status.DONE
    job.file_name, job.file_size, job.n_refused = file_name, size, n_refused
    job.n_done = job.n_total
    job.finished_at = timezone.now()
    job.save()
    audit.record(
        action="profile_export.finished",
        user=job.user,
        agency_id=first_agency_of(job.user),
        use="export",
        purpose=job.purpose,
        level=job.level,
        detail={
            "job": job.public_id,
            "n_areas": job.n_total,
            "n_refused": n_refused,
            "bytes": size,
        },
    )


def fail_job(job: ProfileExportJob, message: str) -> None:
    job.status = ProfileExportJob.Status.FAILED
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.save()
    audit.record(
        action="profile_export.failed",
        user=job.user,
        agency_id=first_agency_of(job.user),
        use="export",
        purpose=job.purpose,
        level=job.level,
        detail={"job": job.public_id, "message": message[:500]},
    )
