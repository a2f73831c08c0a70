"""The public map in Chromium with no sign-in: from the sign-in page's "Public data"
link to the map, which draws the simulated crime counts published under ISA-2025-003
with a legend, withheld areas counted, and only public datasets in the pickers. No ORM
call may happen while the browser runs (STACK.md pitfall 9)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.portal.browser.conftest import ARGS, CHROMIUM
from tests.portal.browser.test_map_analyst import LISTEN, READY, offered, options

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(scope="module")
def public_tables(demo, django_db_blocker) -> None:
    """The public policy's protected table for the map's first view, computed before
    Chromium starts (as tests/portal/conftest.py does for the analysts' reads)."""
    from layers.domain.access import Use
    from layers.read import read_values

    with django_db_blocker.unblock():
        read_values(None, indicator="all-crime", level="msoa11", use=Use.PUBLIC, purpose=None)


@pytest.fixture
def anonymous_page(demo_server, public_tables) -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 860})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.add_init_script(LISTEN)
        page.goto(demo_server + "/login/")
        yield page
        context.close()
        browser.close()


def test_public_map_renders_with_no_login_and_shows_a_legend(anonymous_page, artifacts):
    page = anonymous_page
    page.click("text=Public data, no login needed")
    page.wait_for_url("**/public/")
    assert (
        "Counts below 10 are not shown; others are rounded to the nearest 10."
        in page.inner_text("main")
    )
    page.click("text=Open the map")
    page.wait_for_selector(READY)
    assert "/public/map/" in page.url
    assert offered(page) == {
        "recorded-crime": ["all-crime", "asb", "burglary"],
        "imd-2019": ["imd-decile", "imd-rank"],
    }
    page.select_option("#theme-picker", "crime")
    page.wait_for_selector(READY)
    assert options(page, "#level-picker")[0] == "msoa11"  # no LSOAs for crime
    counts = page.eval_on_selector_all("#legend-classes li", "ls => ls.map(l => +l.dataset.count)")
    assert len(counts) == 5 and sum(counts) > 0
    assert page.is_visible("#legend .swatch-withheld")
    assert page.inner_text("#simulated-badge") == "SIMULATED data"
    source = page.inner_text("#source-text")
    assert (
        "Published to the public under ISA-2025-003" in source
        and "rounded to the nearest 10" in source
    )
    assert not page.is_visible("#download-csv")
    page.screenshot(path=str(artifacts / "public-map.png"))
    assert page.evaluate("window.__cspViolations") == []
    assert not page.errors, page.errors
