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
