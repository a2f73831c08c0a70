"""Profiles of many areas at once: a ZIP made by the background worker (in-process in
tests, as without REDIS_URL), with progress, downloadable by the user who asked only,
every profile in it an audited export use, and areas no agreement allows exporting named
in its README instead."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from layers.models import AuditEvent, ProfileExportJob
from tests.builders import make_member, publish_crime, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"


@pytest.fixture
def world(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    settings.EXPORT_STORE = tmp_path / "exports"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    parties["manager"] = make_member("nm", parties["council"], "neighbourhood_manager")
    return parties


def session(user) -> Client:
    client = sign_in(Client(), user)
    s = client.session
    s["purpose"] = PURPOSE
    s.save()
    return client


def test_zip_of_every_district_in_every_format_for_its_requester_only(world, settings):
    client = session(world["manager"])
    response = client.post(
        "/profiles/bulk/", {"areas": "lad19:", "formats": ["pdf", "csv", "xlsx", "html"]}
    )
    assert response.status_code == 302
    job = ProfileExportJob.objects.get()
    assert response["Location"] == f"/profiles/bulk/{job.public_id}/"
    assert client.get(response["Location"]).status_code == 200
    status = client.get(f"/profiles/bulk/{job.public_id}.json").json()
    assert status["status"] == "done" and (status["done"], status["total"]) == (2, 2)
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="profiles-lad19-all-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = sorted(archive.namelist())
    for code in ("E06000016", "E08000032"):
        for fmt in ("pdf", "csv", "xlsx", "html"):
            assert any(
                n.startswith(f"{fmt}/profile-{code}-") and n.endswith(f".{fmt}") for n in names
            )
    readme = archive.read("README.txt").decode()
    assert readme.startswith("OFFICIAL-SENSITIVE") and "ISA-2025-001 v1" in readme
    csv_name = next(n for n in names if "E06000016" in n and n.endswith(".csv"))
    text = archive.read(csv_name).decode()
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert {r["area_code"] for r in rows} == {"E06000016"} and rows
    reads = AuditEvent.objects.filter(action="profile.read", detail__export_job=job.public_id)
    assert reads.count() == 2 and {e.use for e in reads} == {"export"}
    assert AuditEvent.objects.filter(
        action="profile_export.requested", detail__job=job.public_id
    ).exists()
    assert AuditEvent.objects.filter(
        action="profile_export.finished", detail__job=job.public_id
    ).exists()

    # Only the user who asked sees the job or downloads the ZIP.
    other = session(make_member("ana2", world["council"], "analyst"))
    for url in (
        f"/profiles/bulk/{job.public_id}/",
        f"/profiles/bulk/{job.public_id}.json",
        f"/profiles/bulk/{job.public_id}/download/",
    ):
        assert other.get(url).status_code == 404, url
        assert client.get(url).status_code == 200, url

    # It is kept for EXPORT_KEEP_HOURS, then gone.
    path = settings.EXPORT_STORE / f"{job.public_id}.zip"
    assert path.exists()
    job.finished_at = timezone.now() - timedelta(hours=settings.EXPORT_KEEP_HOURS + 1)
    job.save()
    assert client.get(f"/profiles/bulk/{job.public_id}/download/").status_code == 404
    assert not path.exists()


def test_areas_no_agreement_allows_exporting_are_named_not_exported(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    settings.EXPORT_STORE = tmp_path / "exports"
    parties = three_parties(uses=["map", "api"])
    parties.update(publish_crime(parties, tmp_path))
    client = session(make_member("nm", parties["council"], "neighbourhood_manager"))
    client.post("/profiles/bulk/", {"areas": "lad19:", "formats": ["pdf"]})
    job = ProfileExportJob.objects.get()
    assert (job.status, job.n_refused) == ("done", 2)
    archive = zipfile.ZipFile(
        io.BytesIO(
            b"".join(client.get(f"/profiles/bulk/{job.public_id}/download/").streaming_content)
        )
    )
    assert archive.namelist() == ["README.txt"]
    readme = archive.read("README.txt").decode()
    assert "E06000016: not exported" in readme and "does not allow this use" in readme
    refused = AuditEvent.objects.filter(action="access.refused", use="export")
    assert refused.count() == 2


def test_a_bad_request_is_named_and_starts_nothing(settings, tmp_path):
    settings.EXPORT_STORE = tmp_path / "exports"
    parties = three_parties()  # no release needed: nothing is read
    client = session(make_member("nm", parties["council"], "neighbourhood_manager"))
    for data, says in (
        ({"areas": "lad19:"}, "choose at least one format"),
        ({"areas": "lad19:", "formats": ["docx"]}, "choose at least one format"),
        ({"areas": "lsoa11:E99999999", "formats": ["csv"]}, "choose one of the sets"),
    ):
        response = client.post("/profiles/bulk/", data)
        assert response.status_code == 400 and says in response.content.decode(), data
    assert not ProfileExportJob.objects.exists()
    page = client.get("/profiles/bulk/").content.decode()
    assert 'value="ward13:E06000016"' in page and "Electoral wards (2013) in Leicester" in page
    assert 'value="lad19:"' in page
