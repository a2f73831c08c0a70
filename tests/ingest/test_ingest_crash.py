"""A publish killed after its values are staged leaves the previous release current and
no half release visible (run in real processes, killed with SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from ingest.pipeline.publish import INTERRUPTED
from layers.models import AuditEvent, Dataset, Release

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SETUP = """
from layers.models import Agency, Dataset, GeographyLevel, Indicator
agency, _ = Agency.objects.get_or_create(
    slug="crash-agency", defaults={"name": "Crash", "kind": "police"})
dataset, _ = Dataset.objects.get_or_create(slug="crash-data", defaults={
    "owner": agency, "theme": "crime", "title": "Crash test",
    "level": GeographyLevel.objects.get(slug="lsoa11")})
Indicator.objects.get_or_create(
    dataset=dataset, slug="n", defaults={"name": "n", "measure": "count", "is_summable": True})
"""

CLEANUP = """
from django.db import connection
from layers.models import Dataset, Release
with connection.cursor() as cursor:
    cursor.execute("DELETE FROM layers_value WHERE dataset_id IN "
                   "(SELECT id FROM layers_dataset WHERE slug = 'crash-data')")
Release.objects.filter(dataset__slug="crash-data").delete()
Dataset.objects.filter(slug="crash-data").delete()
Agency.objects.filter(slug="crash-agency").delete()
"""


def env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DEBUG": "1", "DATABASE_URL": url}


def manage(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def n_values(release_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_value WHERE release_id = %s", [release_id])
        return cursor.fetchone()[0]


def test_killed_publish_leaves_the_previous_release_current(tmp_path):
    store = tmp_path / "store"
    extra = {"FILE_STORE": str(store)}
    setup = manage("shell", "-c", SETUP, env={**env(), **extra})
    assert setup.wait(60) == 0, setup.stderr.read()
    first = tmp_path / "first.csv"
    first.write_text("area_code,period,indicator,value\nE01013600,2024,n,5\n")
    done = manage(
        "ingest_release", str(first), "--dataset", "crash-data", "--commit", env={**env(), **extra}
    )
    assert done.wait(60) == 0, done.stderr.read()
    rows = "".join(f"{code},2024,n,7\n" for code in ("E01013600", "E01013601", "E01013602"))
    second = tmp_path / "second.csv"
    second.write_text("area_code,period,indicator,value\n" + rows)
    try:
        victim = manage(
            "ingest_release",
            str(second),
            "--dataset",
            "crash-data",
            "--commit",
            env={**env(), **extra, "COMMONGROUND_PAUSE_BEFORE_PUBLISH": "60"},
        )
        assert "pausing before publish" in victim.stderr.readline()  # values are staged
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)
        dataset = Dataset.objects.get(slug="crash-data")
        published = Release.objects.get(dataset=dataset, status="published")
        assert published.file_name == "first.csv" and n_values(published.id) == 1
        interrupted = Release.objects.get(dataset=dataset, file_name="second.csv")
        assert interrupted.status == "validating"  # never published
        assert n_values(interrupted.id) == 0  # its staged values went with the transaction
        assert (store / interrupted.file_sha256[:2] / interrupted.file_sha256).exists()
    finally:
        # The rows were committed by other processes: remove them the same way (the
        # test's own transaction is rolled back, so deleting here would undo nothing).
        cleanup = manage("shell", "-c", CLEANUP, env=env())
        assert cleanup.wait(60) == 0, cleanup.stderr.read()


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def test_a_release_left_validating_by_a_killed_worker_is_swept(tmp_path):
    extra = {"FILE_STORE": str(tmp_path / "store")}
    setup = manage("shell", "-c", SETUP, env={**env(), **extra})
    assert setup.wait(60) == 0, setup.stderr.read()
    path = tmp_path / "killed.csv"
    path.write_text("area_code,period,indicator,value\nE01013600,2024,n,5\n")
    try:
        victim = manage(
            "ingest_release",
            str(path),
            "--dataset",
            "crash-data",
            "--commit",
            env={**env(), **extra, "COMMONGROUND_PAUSE_BEFORE_PUBLISH": "60"},
        )
        assert "pausing before publish" in victim.stderr.readline()
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)
        stuck = Release.objects.get(dataset__slug="crash-data", file_name="killed.csv")
        assert stuck.status == "validating"
        # A table of values left behind too (as an older version could leave one). Every
        # change here is made by other processes, as in production: this test's own
        # transaction only reads.
        script = (
            "from django.core.management import call_command\n"
            "from ingest.pipeline.store import ReleaseTable\n"
            f"ReleaseTable({stuck.dataset_id}, {stuck.id}).create()\n"
            "call_command('sweep_releases', '--older-than', '0')\n"  # a dry run
            "call_command('sweep_releases', '--older-than', '60', '--commit')\n"  # too young
        )
        first = manage("shell", "-c", script, env=env())
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert f"would reject release {stuck.id}" in out
        assert "0 interrupted release(s) marked rejected" in out
        stuck.refresh_from_db()
        assert stuck.status == "validating"
        assert table_exists(f"layers_value_r{stuck.id}")

        def sweep(*args: str) -> str:
            process = manage("sweep_releases", *args, env=env())
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            return out

        assert f"rejected release {stuck.id}" in sweep("--older-than", "0", "--commit")
        stuck.refresh_from_db()
        assert stuck.status == "rejected"
        assert stuck.report["problems"][0]["message"] == INTERRUPTED
        assert not table_exists(f"layers_value_r{stuck.id}")
        event = AuditEvent.objects.get(action="release.rejected", detail__release=stuck.id)
        assert event.detail["reason"] == "interrupted" and event.detail["dropped_table"]
    finally:
        cleanup = manage("shell", "-c", CLEANUP, env=env())
        assert cleanup.wait(60) == 0, cleanup.stderr.read()


def test_a_release_a_worker_still_holds_is_not_swept(crime):
    release = Release.objects.create(
        dataset=crime, file_name="slow.csv", file_sha256="0" * 64, stored_path=""
    )
    db = connection.settings_dict
    # Another session, as a live worker's: it holds the release's advisory lock.
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as worker:
        worker.execute("SELECT pg_advisory_lock(4, %s::int)", [release.id])
        call_command("sweep_releases", "--older-than", "0", "--commit", stdout=StringIO())
        release.refresh_from_db()
        assert release.status == "validating"
    call_command("sweep_releases", "--older-than", "0", "--commit", stdout=StringIO())
    release.refresh_from_db()
    assert release.status == "rejected"
