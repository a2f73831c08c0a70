"""The analyst's map in Chromium, signed in as users of different agencies of the demo
partnership (tests/portal/conftest.py). No ORM call may happen while the browser runs
(STACK.md pitfall 9), so everything here is checked through the pages and the network.
The django_db mark gives each test a savepoint inside the module's demo transaction
(taken before Chromium starts), so what one test writes (sessions, audit) is undone."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.portal.browser.conftest import ARGS, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
READY = "#map[data-status=ready]"
# Installed before any page script runs; the browser fires this for each CSP refusal.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def chromium(demo_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_as(chromium, demo_server, demo):
    """open_as(username, url, purpose=None) -> a page signed in through the real forms."""
    contexts: list[Any] = []

    def open_page(username: str, url: str = "/", purpose: str | None = None) -> Any:
        context = chromium.new_context(
            viewport={"width": 1400, "height": 860}, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base_url = demo_server
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.requests = []
        page.on("request", lambda r: page.requests.append(r.url))
        page.add_init_script(LISTEN)
        page.goto(demo_server + "/login/?" + urlencode({"next": url}))
        page.fill("#id_username", username)
        page.fill("#id_password", demo["password"])
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        if "/purpose/" in page.url:
            if purpose:
                page.check(f"input[name=purpose][value={purpose}]")
            page.click("main button[type=submit]")
        page.wait_for_selector(READY, timeout=30_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def options(page: Any, select: str) -> list[str]:
    return page.eval_on_selector_all(f"{select} option", "os => os.map(o => o.value)")


def offered(page: Any) -> dict[str, list[str]]:
    """Every dataset -> indicators the pickers offer, walking theme and dataset pickers."""
    out: dict[str, list[str]] = {}
    for theme in options(page, "#theme-picker"):
        page.select_option("#theme-picker", theme)
        page.wait_for_selector(READY)
        for dataset in options(page, "#dataset-picker"):
            page.select_option("#dataset-picker", dataset)
            page.wait_for_selector(READY)
            out[dataset] = sorted(options(page, "#indicator-picker"))
    return out


def values_json(page: Any, query: str) -> dict[str, Any]:
    return page.evaluate(
        """q => fetch('/map/values/?' + q)
            .then(r => r.json().then(b => ({status: r.status, body: b})))""",
        query,
    )


def test_map_pickers_offer_each_agency_only_what_it_may_see(open_as):
    crime = ["all-crime", "asb", "burglary"]
    ana = open_as("ana", "/", "community_safety")
    assert offered(ana) == {
        "recorded-crime": crime,
        "imd-2019": ["imd-decile", "imd-rank"],
        "ae-attendances": ["assault-attendances"],
        "population": ["children", "older-people", "population"],
    }
    ana.select_option("#theme-picker", "health")
    ana.wait_for_selector(READY)
    # Not LSOA (finer than the agreement), nor wards: they would be summed from LSOAs the
    # council is not given, so every ward would read "no data".
    assert options(ana, "#level-picker") == ["msoa11", "lad19"]
    assert offered(open_as("fred", "/", "community_safety")) == {"recorded-crime": crime}
    hana = open_as("hana")
    assert offered(hana) == {"ae-attendances": ["assault-attendances"]}
    assert options(hana, "#level-picker")[0] == "lsoa11"
    assert options(hana, "#period-picker") == ["2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1"]
    assert not ana.errors and not hana.errors


def test_map_draws_legend_and_hatched_withheld_areas(open_as, artifacts):
    page = open_as("ana", "/?indicator=all-crime&level=lsoa11&period=2025-12", "community_safety")
    body = values_json(page, "indicator=all-crime&level=lsoa11&period=2025-12")["body"]
    counts = page.eval_on_selector_all("#legend-classes li", "ls => ls.map(l => +l.dataset.count)")
    assert counts == [b["count"] for b in body["classes"]["bands"]] and len(counts) == 5
    assert page.inner_text("#count-withheld") == f"({body['summary']['withheld']})"
    assert body["summary"]["withheld"] > 0
    assert page.inner_text("#simulated-badge") == "SIMULATED data"
    withheld = {r["area_code"] for r in body["values"] if r["status"] == "withheld"}
    # Zoom to the largest withheld area and look at the pixels drawn inside it.
    found = page.evaluate(
        """codes => {
        const map = window.commonGroundMap;
        const feats = map.queryRenderedFeatures({layers: ['areas-fill']})
            .filter(f => codes.includes(f.id));
        const size = f => { const b = new maplibregl.LngLatBounds();
            JSON.stringify(f.geometry.coordinates).match(/-?\\d+\\.\\d+,-?\\d+\\.\\d+/g)
              .forEach(p => b.extend(p.split(',').map(Number)));
            return b; };
        feats.sort((a, b) => { const A = size(a), B = size(b);
            return (B.getEast()-B.getWest())*(B.getNorth()-B.getSouth())
                 - (A.getEast()-A.getWest())*(A.getNorth()-A.getSouth()); });
        map.fitBounds(size(feats[0]), {padding: 120, duration: 0});
        return feats[0].id; }""",
        sorted(withheld),
    )
    page.wait_for_function(
        "() => window.commonGroundMap.loaded() && !window.commonGroundMap.isMoving()"
    )
    page.wait_for_timeout(300)
    dark, white, state = page.evaluate(
        """code => new Promise(resolve => {
        const map = window.commonGroundMap;
        map.once('render', () => {
          const c = map.getCanvas(), g = document.createElement('canvas');
          g.width = c.width; g.height = c.height;
          const ctx = g.getContext('2d'); ctx.drawImage(c, 0, 0);
          const r = window.devicePixelRatio || 1;
          let dark = 0, white = 0;
          for (let x = 0; x < c.clientWidth; x += 6) for (let y = 0; y < c.clientHeight; y += 6) {
            const f = map.queryRenderedFeatures([x, y], {layers: ['areas-fill']})[0];
            if (!f || f.id !== code) continue;
            const px = ctx.getImageData(x * r, y * r, 3, 3).data;
            for (let i = 0; i < px.length; i += 4) {
              const v = (px[i] + px[i+1] + px[i+2]) / 3;
              if (v < 110) dark++; else if (v > 245) white++;
            }
          }
          const state = map.getFeatureState({source: 'areas', sourceLayer: 'areas', id: code});
          resolve([dark, white, state]);
        });
        map.triggerRepaint(); })""",
        found,
    )
    assert state["s"] == 2  # withheld
    assert dark > 20 and white > 20, (dark, white)  # dark lines on white: hatched
    page.screenshot(path=str(artifacts / "map-withheld-hatched.png"))


def test_map_switches_indicator_without_refetching_geometry_and_screenshots_two(open_as, artifacts):
    page = open_as("ana", "/?indicator=all-crime&level=lsoa11&period=2025-12", "community_safety")
    page.screenshot(path=str(artifacts / "map-all-crime-lsoa11.png"))
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    page.select_option("#theme-picker", "deprivation")
    page.wait_for_selector("#map[data-indicator=imd-decile][data-status=ready]")
    page.select_option("#indicator-picker", "imd-rank")
    page.wait_for_selector("#map[data-indicator=imd-rank][data-status=ready]")
    assert tiles == []  # the boundaries stay; only the figures changed
    assert "indicator=imd-rank" in page.url
    assert page.inner_text("#map-title-name") == "IMD rank (1 = most deprived)"
    assert page.is_hidden("#simulated-badge")
    # higher is better: the darkest colour goes to the lowest ranks (most deprived)
    body = values_json(page, "indicator=imd-rank&level=lsoa11")["body"]
    lowest = min((r for r in body["values"] if r["value"] is not None), key=lambda r: r["value"])
    highest = max(body["values"], key=lambda r: r["value"] or 0)
    colour = page.evaluate(
        """codes => codes.map(c => window.commonGroundMap.getFeatureState(
            {source: 'areas', sourceLayer: 'areas', id: c}).col)""",
        [lowest["area_code"], highest["area_code"]],
    )
    assert colour == ["#bd0026", "#ffffb2"]  # YlOrRd, turned: dark for the most deprived
    page.screenshot(path=str(artifacts / "map-imd-rank-lsoa11.png"))
    assert page.is_disabled("input[name=mode][value=change]")  # one period: no change
    page.select_option("#theme-picker", "crime")
    page.wait_for_selector("#map[data-indicator=all-crime][data-status=ready]")
    page.check("input[name=mode][value=change]", force=True)
    page.wait_for_selector("#map[data-mode=change][data-status=ready]")
    assert "mode=change" in page.url and "base=2025-11" in page.url
    assert page.inner_text("#legend-subtitle").startswith("change Nov 2025 to Dec 2025")
    page.screenshot(path=str(artifacts / "map-all-crime-change.png"))
    assert tiles == [] and not page.errors


def test_map_state_is_restored_from_a_bookmarked_url(open_as):
    url = "/?indicator=burglary&level=ward13&period=2025-03&method=jenks&k=4&palette=Purples"
    page = open_as("fred", url, "community_safety")
    assert page.input_value("#indicator-picker") == "burglary"
    assert page.input_value("#level-picker") == "ward13"
    assert page.input_value("#period-picker") == "2025-03"
    assert page.input_value("#method-picker") == "jenks"
    assert page.input_value("#k-picker") == "4"
    assert page.input_value("#palette-picker") == "Purples"
    assert page.eval_on_selector("#map", "m => m.dataset.level") == "ward13"


def test_map_table_view_matches_the_values_endpoint(open_as):
    page = open_as("paul", "/?indicator=all-crime&level=msoa11&period=2025-07")
    body = values_json(page, "indicator=all-crime&level=msoa11&period=2025-07&mode=value")["body"]
    assert body["access"] == "own_agency"
    page.click("#tab-table")
    assert page.is_visible("#values-table")
    assert page.get_attribute("#tab-table", "aria-selected") == "true"
    rows = page.eval_on_selector_all(
        "#values-table tbody tr",
        """trs => trs.map(t => [t.dataset.code, t.children[2].textContent,
                             t.children[3].textContent])""",
    )
    expected = {
        r["area_code"]: [
            r["area_code"],
            f"{r['value']:,.0f}" if r["value"] is not None else r["marker"],
            str(r["rank"] or ""),
        ]
        for r in body["values"]
    }
    assert len(rows) == len(body["values"]) == 98
    assert {r[0]: r for r in rows} == expected
    ranks = [int(r[2]) for r in rows if r[2]]
    assert ranks == sorted(ranks)  # sorted by rank to start with
    page.click("#values-table th button[data-sort=value]")
    assert page.get_attribute("#values-table th:nth-child(3)", "aria-sort") == "descending"
    assert "view=table" in page.url


def test_user_without_an_agreement_never_receives_the_figures(open_as):
    bodies: list[str] = []

    def keep(response: Any) -> None:
        if "/map/" in response.url or "/api/" in response.url:
            try:
                bodies.append(response.text())
            except Exception:
                bodies.append("")

    page = open_as("fred", "/", "community_safety")
    page.on("response", keep)
    # a crafted URL for a dataset fred's agency has no agreement for
    page.goto(page.base_url + "/?indicator=assault-attendances&level=msoa11")
    page.wait_for_selector(READY)
    assert page.input_value("#indicator-picker") == "all-crime"  # falls back to what he may see
    assert "not shared with you" in page.inner_text("#notice")
    for url in (
        "/map/values/?indicator=assault-attendances&level=msoa11",
        "/map/export.csv?indicator=assault-attendances&level=msoa11",
        "/map/export/png/?indicator=assault-attendances&level=msoa11",
        "/map/area/?indicator=assault-attendances&level=msoa11&code=E02002183",
        "/api/v1/indicators/assault-attendances/values/?level=msoa11",
    ):
        status = page.evaluate("u => fetch(u).then(r => r.status)", url)
        assert status in (403, 400), url
    page.wait_for_timeout(300)
    leaked = [b for b in bodies if "assault-attendances" in b and '"values"' in b]
    assert not leaked
    assert all('"area_code"' not in b for b in bodies if "assault" in b)
    hana = open_as("hana")
    hana_bodies: list[str] = []
    hana.on("response", lambda r: hana_bodies.append(r.url))
    assert values_json(hana, "indicator=all-crime&level=lsoa11")["status"] == 403


def test_map_search_flies_to_a_ward(open_as):
    page = open_as("ana", "/?indicator=all-crime&level=ward13", "community_safety")
    page.fill("#area-search", "wibs")
    page.wait_for_selector("#search-results li[role=option]")
    assert page.get_attribute("#area-search", "aria-expanded") == "true"
    page.press("#area-search", "Enter")
    page.wait_for_function(
        """() => { const c = window.commonGroundMap.getCenter();
        return !window.commonGroundMap.isMoving() && c.lng > -1.80 && c.lng < -1.74
            && c.lat > 53.75 && c.lat < 53.78; }""",
        timeout=10_000,
    )
    page.wait_for_selector("#area-panel:not([hidden])")
    assert page.get_attribute("#area-panel", "data-area") == "E05001367"


def test_map_downloads_csv_and_png_of_what_is_on_screen(open_as, artifacts):
    page = open_as("ana", "/?indicator=all-crime&level=ward13&period=2025-12", "community_safety")
    with page.expect_download() as csv_download:
        page.click("#download-csv")
    text = csv_download.value.path().read_text(encoding="utf-8")
    assert text.startswith("# OFFICIAL-SENSITIVE")
    assert sum(1 for line in text.splitlines() if line.startswith("E05")) == 52
    with page.expect_download() as png_download:
        page.click("#download-png")
    png = png_download.value.path().read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    (artifacts / "map-export-all-crime-ward13.png").write_bytes(png)
    assert "audit" in page.inner_text("#download-status")
    assert json.loads(page.text_content("#map-config"))["user"] == "ana"


POINT_IN = """code => {
    const map = window.commonGroundMap, c = map.getCanvas();
    for (let y = 20; y < c.clientHeight - 20; y += 5)
    for (let x = 20; x < c.clientWidth - 20; x += 5) {
      const f = map.queryRenderedFeatures([x, y], {layers: ['areas-fill']})[0];
      if (f && f.id === code) {
        const r = c.getBoundingClientRect();
        return [r.left + x, r.top + y];
      }
    }
    return null; }"""


def test_clicking_an_area_opens_the_panel_with_its_figures(open_as, artifacts):
    page = open_as("ana", "/?indicator=all-crime&level=ward13&period=2025-12", "community_safety")
    rows = values_json(page, "indicator=all-crime&level=ward13&period=2025-12")["body"]["values"]
    shown = sorted((r for r in rows if r["status"] == "shown"), key=lambda r: r["rank"])
    target = next(r for r in shown if page.evaluate(POINT_IN, r["area_code"]))
    x, y = page.evaluate(POINT_IN, target["area_code"])
    page.mouse.move(x, y)
    page.wait_for_selector("#map-tooltip:not([hidden])")
    tooltip = page.inner_text("#map-tooltip")
    assert target["area_name"] in tooltip and target["area_code"] in tooltip
    assert f"{target['value']:,.0f}" in tooltip
    page.mouse.click(x, y)
    page.wait_for_selector("#area-panel[data-status=ready]")
    assert page.get_attribute("#area-panel", "data-area") == target["area_code"]
    assert page.inner_text("#panel-title") == target["area_name"]
    assert page.inner_text("#panel-value") == f"{target['value']:,.0f}"
    assert page.inner_text("#panel-rank") == f"{target['rank']} of {len(shown)}"
    assert page.inner_text("#panel-decile") == str(target["decile"])
    area = page.evaluate(
        "c => fetch('/map/area/?indicator=all-crime&level=ward13&period=2025-12&code=' + c)"
        ".then(r => r.json())",
        target["area_code"],
    )["indicators"][0]
    district = page.inner_text("#panel-row-district")
    assert "Bradford" in district or "Leicester" in district
    figure = area["district"]["value"]["value"]
    # as the page writes figures: whole above 100, else one decimal place
    assert (f"{figure:,.0f}" if figure >= 100 else f"{figure:,.1f}") in district
    assert page.is_visible(".area-panel svg.trend")
    link = page.get_attribute(".profile-link", "href")
    assert link == f"/profiles/ward13/{target['area_code']}/"
    assert f"area={target['area_code']}" in page.url
    page.screenshot(path=str(artifacts / "map-area-panel.png"))
    page.press("#panel-title", "Escape")
    assert page.is_hidden("#area-panel")


def test_map_runs_under_the_content_security_policy_with_nothing_from_elsewhere(open_as):
    page = open_as("ana", "/?indicator=all-crime&level=lsoa11", "community_safety")
    csp = page.evaluate("() => fetch('/').then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page.click("#districts button:has-text('All')")
    page.wait_for_function(
        "() => !window.commonGroundMap.isMoving() && window.commonGroundMap.areTilesLoaded()"
    )
    page.wait_for_timeout(300)
    drawn = page.evaluate(
        """() => new Set(window.commonGroundMap.queryRenderedFeatures({layers: ['areas-fill']})
        .map(f => f.properties.gss_code)).size"""
    )
    assert drawn == 502  # every Leicester and Bradford LSOA
    page.click("#tab-table")
    page.click("#values-table tbody tr:first-child th button")  # back to the map, panel open
    page.wait_for_selector("#area-panel[data-status=ready]")
    with page.expect_download():
        page.click("#download-png")
    assert page.evaluate("window.__cspViolations") == []
    assert all(u.startswith((page.base_url, "blob:", "data:")) for u in page.requests)
    assert any("/tiles/lsoa11/" in u for u in page.requests)
    assert not page.errors
