"""The demo partnership and its releases, loaded once per test module inside a
transaction that is rolled back at the end, and a live server that shares it.

Publishing the demo releases takes seconds, too long for every test, and committing them
would leak into other modules. So a module opens one outer transaction, loads
`demo/partnership.yaml` and `load_demo_values` into it, and every test runs inside it
(pytest-django's own per-test transaction becomes a savepoint). The live server for the
browser serves requests one at a time on that same connection, so the pages see the
uncommitted demo (Django's LiveServerTestCase does the same for in-memory SQLite); a
lock keeps those requests one at a time.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import close_old_connections, connections, transaction
from django.test import override_settings
from django.test.testcases import LiveServerThread, _MediaFilesHandler
from django.utils import timezone

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEMO_PASSWORD = "demo-pass-2026"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, shared_data, tmp_path_factory) -> dict[str, Any]:
    """The demo partnership (agencies, users, agreements) and its four releases."""
    from layers.models import AgreementVersion

    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=FAST_HASHER, FILE_STORE=tmp_path_factory.mktemp("store")
        ),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        # Like TestCase's own atomics: lets code that asks for a durable block run inside.
        transaction.get_connection().atomic_blocks[-1]._from_testcase = True
        try:
            call_command(
                "load_partnership",
                str(BASE_DIR / "demo" / "partnership.yaml"),
                demo_password=DEMO_PASSWORD,
                verbosity=0,
            )
            # The demo agreements have real end dates; keep them in force whenever the
            # tests run.
            AgreementVersion.objects.update(ends_on=timezone.localdate() + timedelta(days=365))
            call_command("load_demo_values", data=shared_data, verbosity=0)
            _protect_ahead()
            yield {"password": DEMO_PASSWORD}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# (user, purpose, indicator, period) the tests read: each disclosure-controlled table is
# computed once here, in the module's transaction, not again inside every test.
AHEAD = (
    ("ana", "community_safety", "all-crime", ("2025-06", "2025-07", "2025-11", "2025-12")),
    ("ana", "community_safety", "burglary", ("2025-03",)),
    ("ana", "community_safety", "assault-attendances", ("2025-Q4",)),
    ("ana", "community_safety", "imd-rank", (None,)),
    ("paul", "community_safety", "all-crime", ("2025-07", "2025-12")),
)


def _protect_ahead() -> None:
    import mapclassify  # noqa: F401 - imported once here rather than in the first request
    from django.contrib.auth.models import User

    from layers.domain.access import Use
    from layers.read import read_values

    for username, purpose, indicator, periods in AHEAD:
        user = User.objects.get(username=username)
        for period in periods:
            read_values(
                user,
                indicator=indicator,
                level="msoa11" if indicator == "assault-attendances" else "lsoa11",
                period=period,
                use=Use.MAP,
                purpose=purpose,
            )


class _SharedConnection(ThreadedWSGIServer):
    """Threads, so the browser fetches scripts and tiles in parallel, but every request
    that may touch the database holds one lock: they run on the test's connection one
    after another. Static files need no database and are served alongside."""

    def _close_connections(self) -> None:
        pass  # the test's connection stays open: its transaction is the demo


class _Serialised:
    def __init__(self, app: Any, static_prefix: str) -> None:
        self.app, self.static_prefix = app, static_prefix
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith(self.static_prefix):
            return self.app(environ, start_response)
        with self.lock:
            # The body is produced inside the lock too (streamed responses query lazily).
            return list(self.app(environ, start_response))


class _SharedConnectionServer(LiveServerThread):
    server_class = _SharedConnection

    def run(self) -> None:
        # As LiveServerThread.run, but the shared connection is never closed here.
        for alias, conn in (self.connections_override or {}).items():
            connections[alias] = conn
        try:
            handler = _Serialised(
                self.static_handler(_MediaFilesHandler(WSGIHandler())),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
            self.httpd = self._create_server(connections_override=self.connections_override)
            self.port = self.httpd.server_address[1]
            self.httpd.set_app(handler)
            self.is_ready.set()
            self.httpd.serve_forever()
        except Exception as error:  # reported to the test through is_ready/error
            self.error = error
            self.is_ready.set()


@pytest.fixture(scope="module")
def demo_server(demo, django_db_blocker) -> Any:
    """http://127.0.0.1:PORT serving the portal over the module's demo transaction."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    conn = connections["default"]
    conn.inc_thread_sharing()
    # Django closes "old" connections around each request; inside the open transaction
    # that would close the shared connection (the test client does the same).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=FAST_HASHER,
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ),
    ):
        thread = _SharedConnectionServer(
            "127.0.0.1", StaticFilesHandler, connections_override={"default": conn}, port=0
        )
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}"
        finally:
            thread.httpd.shutdown()
            thread.httpd.server_close()
            thread.join(timeout=10)
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
            conn.dec_thread_sharing()
