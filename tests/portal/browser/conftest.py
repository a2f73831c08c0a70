from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser(portal_url):
    """Chromium for one test, started after and stopped before the database work.

    While Playwright's event loop runs, Django opens a separate connection for the
    "async context" and never closes it (STACK.md pitfall 9), so no ORM call may fall
    inside this fixture's lifetime except through the live server.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def portal_url(db):
    """A live server over the committed test data.

    pytest-django's live_server forces a transactional database, which empties every
    table after each test (the seeded levels and the real boundaries included). Pages
    that only read the session's committed data do not need that, so the server thread
    is started here and the test keeps its ordinary rolled-back transaction.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture
def page(browser, portal_url):
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    page.base_url = portal_url
    yield page
    context.close()


@pytest.fixture
def shared_url(db):
    """A live server that shares the test's own database connection and transaction, so
    a browser sees rows the test made (users, sessions, releases) and everything the
    pages write is rolled back with the test, while the demo geography stays.

    The server answers one request at a time (Django's plain WSGIServer, which closes
    each connection), so the shared connection is never used by two requests at once;
    Django's per-request connection clean-up, which would close a connection found in a
    transaction, is off while it runs.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import WSGIServer
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connections
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler, _MediaFilesHandler

    # The wrapper itself, taken here in the test's thread (django.db.connection is a proxy
    # that would resolve to the server thread's own connection).
    shared = connections["default"]

    class SharedConnectionServer(LiveServerThread):
        def run(self) -> None:
            connections["default"] = shared
            try:
                handler = self.static_handler(_MediaFilesHandler(WSGIHandler()))
                self.httpd = WSGIServer(
                    (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
                )
                self.port = self.httpd.server_address[1]
                self.httpd.set_app(handler)
                self.is_ready.set()
                self.httpd.serve_forever()
            except Exception as error:  # reported to the test below
                self.error = error
                self.is_ready.set()

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    shared.inc_thread_sharing()
    thread = SharedConnectionServer("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    try:
        if thread.error:
            raise thread.error
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        shared.dec_thread_sharing()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
