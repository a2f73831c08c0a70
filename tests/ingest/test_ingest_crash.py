"""A publish killed after its values are staged leaves the previous release current and
no half release visible (run in real processes, killed with SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from layers.models import Dataset, Release

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
