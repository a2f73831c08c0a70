"""The upload page with a real Celery worker (not eager): the task goes through a broker
to a worker thread in this process (kombu's in-memory transport, results in a folder,
no Redis), runs the pipeline on the worker's own database connection, and the page's
status endpoint sees it finish and links to the report.

The worker's connection sees only committed rows, so the agency, dataset and steward are
committed from another thread first and removed at the end (the test's own transaction,
as every test's, is rolled back).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from celery.fixups.django import DjangoFixup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from layers.models import Agency, Dataset, GeographyLevel, Indicator, Membership, Release
from portal.celery import app
from tests.signin import sign_in

GOOD = b"area_code,period,indicator,value\nE01013600,2024-03,all-crime,12\n"


def committed(work: Callable[[], Any]) -> Any:
    """Run `work` on another thread: its own connection, in autocommit."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = work()
        except BaseException as exc:
            out["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _make_world() -> dict[str, int]:
    from django.contrib.auth.models import User

    agency = Agency.objects.create(slug="worker-police", name="Worker Police", kind="police")
    dataset = Dataset.objects.create(
        slug="worker-crime",
        owner=agency,
        theme="crime",
        title="Worker crime",
        level=GeographyLevel.objects.get(slug="lsoa11"),
    )
    Indicator.objects.create(
        dataset=dataset, slug="all-crime", name="All crime", measure="count", is_summable=True
    )
    user = User.objects.create_user("worker-steward", password="not-used-here-1")
    Membership.objects.create(user=user, agency=agency, role="data_steward")
    return {"dataset": dataset.id, "user": user.id, "agency": agency.id}


def _remove_world(ids: dict[str, int]) -> None:
    from django.contrib.auth.models import User

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS layers_value_d{int(ids['dataset'])}")
    Release.objects.filter(dataset_id=ids["dataset"]).delete()
    Indicator.objects.filter(dataset_id=ids["dataset"]).delete()
    Dataset.objects.filter(id=ids["dataset"]).delete()
    Membership.objects.filter(user_id=ids["user"]).delete()
    User.objects.filter(id=ids["user"]).delete()
    Agency.objects.filter(id=ids["agency"]).delete()


@pytest.fixture
def world(django_db_blocker) -> Iterator[dict[str, int]]:
    """Committed rows; requested before `db`, so removed after its rollback (the test's
    transaction holds row locks, e.g. the steward's last_login, until then)."""
    with django_db_blocker.unblock():
        ids = committed(_make_world)
    yield ids
    with django_db_blocker.unblock():
        committed(lambda: _remove_world(ids))


def _close_worker_connections(**_: Any) -> None:
    connections.close_all()  # on the worker's thread, after each task


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[None]:
    results = tmp_path / "results"
    results.mkdir()
    saved = {k: app.conf[k] for k in ("task_always_eager", "result_backend")}
    saved_local, saved_cache = app._local, app._backend_cache
    app.conf.update(task_always_eager=False, result_backend=f"file://{results}")
    app._local, app._backend_cache = threading.local(), None  # forget the eager backend
    # Celery's Django fixup prepares a worker *process*: it closes the database
    # connections of the thread that starts the worker, which here is the test's own.
    # This worker is a thread with a connection of its own, closed after each task.
    fixups = [f for f in app._fixups or [] if isinstance(f, DjangoFixup)]
    for fixup in fixups:
        signals.worker_init.disconnect(dispatch_uid=fixup._worker_init_uid)
    signals.task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        signals.task_postrun.disconnect(_close_worker_connections)
        for fixup in fixups:
            signals.worker_init.connect(fixup.on_worker_init, dispatch_uid=fixup._worker_init_uid)
        app.conf.update(saved)
        app._local, app._backend_cache = saved_local, saved_cache


def test_the_upload_runs_on_a_worker_and_the_page_sees_it_finish(
    world, db, worker, client, settings, tmp_path
):
    from django.contrib.auth.models import User

    settings.FILE_STORE = tmp_path / "store"
    settings.UPLOAD_TMP = tmp_path / "incoming"
    sign_in(client, User.objects.get(id=world["user"]))
    response = client.post(
        "/uploads/", {"dataset": "worker-crime", "file": SimpleUploadedFile("r.csv", GOOD)}
    )
    assert response.status_code == 302
    job_url = response["Location"]
    assert job_url.startswith("/uploads/jobs/")  # not run in the request: queued
    task_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(job_url).status_code == 200

    states = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get(f"/uploads/jobs/{task_id}.json").json()
        states.append(status["state"])
        if status["state"] in ("SUCCESS", "FAILURE"):
            break
        time.sleep(0.2)
    assert states[-1] == "SUCCESS", states
    release = Release.objects.get(dataset_id=world["dataset"])
    assert release.status == "published" and release.n_values == 1
    assert status["report_url"] == f"/uploads/{release.public_id}/"
    assert "published as release" in client.get(status["report_url"]).content.decode()
