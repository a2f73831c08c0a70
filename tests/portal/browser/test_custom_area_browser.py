"""The custom-area page in Chromium: click LSOAs on the map, draw a shape that snaps to
whole LSOAs (shown first, then added), save, and land on the area's profile; under the
Content Security Policy, asking nothing of any other origin. Then the profile's HTML
export opened from disk with the network cut off: its folium map draws."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from layers.models import CustomArea
from tests.builders import make_member, publish_crime, three_parties
from tests.portal.browser.conftest import ARGS, CHROMIUM
from tests.signin import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""

# Points on the canvas over distinct LSOAs, found by asking the map what it drew.
FIND_LSOAS = """(n) => {
    const map = window.customAreaMap, canvas = map.getCanvas().getBoundingClientRect();
    const found = new Map();
    for (let y = 60; y < canvas.height - 60 && found.size < n; y += 37) {
        for (let x = 60; x < canvas.width - 60 && found.size < n; x += 41) {
            const hit = map.queryRenderedFeatures([x, y], {layers: ['lsoa-fill']});
            if (hit.length && !found.has(hit[0].properties.gss_code)) {
                found.set(hit[0].properties.gss_code, [canvas.left + x, canvas.top + y]);
            }
        }
    }
    return Array.from(found.entries());
}"""


def until(page, predicate: str, *, seconds: float = 30) -> None:
    """Poll a predicate with evaluate (CDP, not eval: the page's CSP forbids eval, which
    Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {seconds} s: {predicate}")
        page.wait_for_timeout(200)


@pytest.fixture
def manager_cookie(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    manager = make_member("nm", parties["council"], "neighbourhood_manager")
    cookie = session_cookie(manager)
    session = SessionStore(session_key=cookie["value"])
    session["purpose"] = "community_safety"
    session.save()
    return cookie


def test_pick_lsoas_on_the_map_draw_a_shape_save_and_see_the_profile(
    manager_cookie, shared_url, artifacts, tmp_path
):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_cookies([manager_cookie])
        page = context.new_page()
        page.add_init_script(LISTEN)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))

        page.goto(shared_url + "/custom-areas/new/")
        page.wait_for_selector("#area-map[data-status=ready]", timeout=30_000)
        page.select_option("#go-to", "E06000016")  # Leicester: small, dense LSOAs
        page.evaluate("""() => { const m = window.customAreaMap;
            m.jumpTo({center: m.getCenter(), zoom: 13.5}); }""")
        until(page, "() => window.customAreaMap.loaded() && window.customAreaMap.areTilesLoaded()")
        picks = page.evaluate(FIND_LSOAS, 3)
        assert len(picks) == 3, picks
        for _, (x, y) in picks:
            page.mouse.click(x, y)
        page.wait_for_selector("#area-map[data-selected='3']")
        typed = page.input_value("#id_codes").split()
        assert sorted(typed) == sorted(code for code, _ in picks)
        assert page.inner_text("#selection-count") == "3 LSOAs chosen."
        # Clicking one again takes it out.
        page.mouse.click(*picks[2][1])
        page.wait_for_selector("#area-map[data-selected='2']")

        # Draw a shape around the middle of the map; the snapped LSOAs show before adding.
        box = page.locator("#area-map").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.click("#draw-start")
        for dx, dy in ((-200, -150), (200, -150), (200, 150), (-200, 150)):
            page.mouse.click(cx + dx, cy + dy)
        page.click("#draw-finish")
        page.wait_for_selector("#snap-result:not([hidden])", timeout=15_000)
        snapped = int(page.get_attribute("#area-map", "data-snapped"))
        page.screenshot(path=str(artifacts / "custom-area-snapped.png"))
        assert snapped > 0, page.inner_text("#snap-summary")
        assert re.search(r"takes \d+ whole LSOA", page.inner_text("#snap-summary"))
        page.screenshot(path=str(artifacts / "custom-area-snapped.png"))
        page.click("#snap-add")
        chosen = int(page.get_attribute("#area-map", "data-selected"))
        assert 2 < chosen <= 2 + snapped
        kept = set(page.input_value("#id_codes").split())
        assert {picks[0][0], picks[1][0]} <= kept and picks[2][0] not in kept

        page.fill("#id_name", "Drawn and picked")
        page.check("#id_shared")
        page.click("#save")
        page.wait_for_url(re.compile(r"/profiles/custom/[a-z0-9]+/$"), timeout=30_000)
        assert page.inner_text("h1") == "Drawn and picked"
        assert "Burglary" in page.inner_text("main")
        assert f"Custom area of {chosen} LSOAs" in page.inner_text("main")
        page.screenshot(path=str(artifacts / "custom-area-profile.png"), full_page=True)

        # The HTML export, saved and opened from disk with every network request refused.
        with page.expect_download() as download:
            page.click("text=Download HTML")
        saved = tmp_path / "profile.html"
        download.value.save_as(saved)
        offline = context.new_page()
        outside: list[str] = []
        offline.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else (outside.append(route.request.url), route.abort())
            ),
        )
        offline.goto(saved.as_uri())
        offline.wait_for_selector(".folium-map .leaflet-interactive", timeout=15_000)
        drawn = offline.locator(".folium-map path.leaflet-interactive").count()
        offline.screenshot(path=str(artifacts / "custom-area-export-html.png"))

        violations = page.evaluate("window.__cspViolations")
        browser.close()

    assert drawn > chosen  # the area, its LSOAs and the neighbours around it
    assert outside == []
    assert violations == []
    assert all(url.startswith((shared_url, "blob:", "data:")) for url in requests), [
        u for u in requests if not u.startswith((shared_url, "blob:", "data:"))
    ]
    custom = CustomArea.objects.get(name="Drawn and picked")
    members = set(custom.members.values_list("gss_code", flat=True))
    assert members == kept and custom.is_shared
