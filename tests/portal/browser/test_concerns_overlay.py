"""The map's "Areas of concern" overlay in Chromium on the demo: the toggle outlines the
flagged areas of the simulated crime counts, lists them with reasons, and takes them
away again; no flagged area is one whose figure the viewer is not shown."""

from __future__ import annotations

from typing import Any

import pytest

from tests.portal.browser.test_map_analyst import chromium, open_as  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_the_overlay_toggles_on_the_demo_map(open_as, artifacts):  # noqa: F811
    page: Any = open_as("ana", "/?indicator=all-crime&level=lsoa11", purpose="community_safety")
    assert page.get_attribute("#map", "data-indicator") == "all-crime"
    assert not page.evaluate("!!window.commonGroundMap.getLayer('concerns-line')")
    page.check("#concerns-toggle")
    page.wait_for_selector("#map[data-concerns=ready]", timeout=30_000)
    count = int(page.get_attribute("#map", "data-concern-count"))
    assert count > 0, page.text_content("#concerns-status")
    assert page.evaluate("!!window.commonGroundMap.getLayer('concerns-line')")
    codes = page.eval_on_selector_all("#concerns-list > li", "ls => ls.map(l => l.dataset.code)")
    assert len(codes) == count
    assert "outlined in purple" in page.text_content("#concerns-status")
    first_reason = page.text_content("#concerns-list > li ul li")
    assert any(w in first_reason for w in ("expected", "hot spot", "control limit"))
    # Every outlined area is one whose figure the map shows ana (none withheld).
    statuses = page.evaluate(
        """async () => {
            const r = await fetch('/map/values/?indicator=all-crime&level=lsoa11',
                                  {credentials: 'same-origin'});
            const body = await r.json();
            const out = {};
            body.values.forEach(v => { out[v.area_code] = v.status; });
            return out;
        }"""
    )
    assert all(statuses[c] == "shown" for c in codes)
    reasons = page.eval_on_selector_all(
        "#concerns-list li ul li", "ls => ls.map(l => l.textContent)"
    )
    assert reasons and all(reasons)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "map-areas-of-concern.png"))
    # The overlay follows the map: at MSOA level the counts are large enough for the
    # Poisson test to flag areas above the partnership rate.
    page.select_option("#level-picker", "msoa11")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#concerns-list li ul li')]"
        ".some(l => l.textContent.includes('expected at the partnership rate'))",
        timeout=30_000,
    )
    assert page.get_attribute("#map", "data-level") == "msoa11"
    page.screenshot(path=str(artifacts / "map-areas-of-concern-msoa.png"))
    page.select_option("#level-picker", "lsoa11")
    page.wait_for_selector("#map[data-concerns=ready][data-level=lsoa11]", timeout=30_000)
    page.uncheck("#concerns-toggle")
    page.wait_for_selector("#map[data-concerns=off]")
    assert not page.evaluate("!!window.commonGroundMap.getLayer('concerns-line')")
    assert page.is_hidden("#concerns-list")
    # A non-count indicator: the overlay says scanning is for counts.
    page.check("#concerns-toggle")
    page.wait_for_selector("#map[data-concerns=ready]")
    page.select_option("#theme-picker", "deprivation")
    page.wait_for_selector("#map[data-concerns=not_count]", timeout=30_000)
    assert "Scanning is for counts" in page.text_content("#concerns-status")
    assert page.errors == []
    assert page.evaluate("window.__cspViolations") == []


def test_the_concerns_page_sorts_its_table(open_as, artifacts):  # noqa: F811
    page: Any = open_as("ana", "/", purpose="community_safety")
    page.goto(page.base_url + "/concerns/?indicator=all-crime&level=lsoa11")
    page.wait_for_selector("#concerns-table")
    first = page.text_content("#concerns-table tbody tr td")
    page.screenshot(path=str(artifacts / "concerns-page.png"), full_page=False)
    page.click("#concerns-table thead th:nth-child(1) button")
    names = page.eval_on_selector_all(
        "#concerns-table tbody tr td:first-child", "ts => ts.map(t => t.textContent.trim())"
    )
    assert names == sorted(names, key=str.lower) or names[0] != first
    assert page.get_attribute("#concerns-table thead th:nth-child(1)", "aria-sort") == "ascending"
    assert page.errors == []
    assert page.evaluate("window.__cspViolations") == []
