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
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "map-areas-of-concern.png"))
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
