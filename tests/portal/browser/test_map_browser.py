from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_map_draws_the_boundaries_of_the_chosen_level(page, artifacts):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page.base_url + "/?level=lsoa11")
    page.wait_for_selector("#map[data-status=ready]", timeout=20_000)
    drawn = page.evaluate("""() => new Set(window.commonGroundMap
        .queryRenderedFeatures({layers: ['areas-fill']}).map(f => f.properties.gss_code)).size""")
    assert drawn == 502  # every Leicester and Bradford LSOA
    page.screenshot(path=str(artifacts / "map-lsoa11.png"))
    assert all(url.startswith((page.base_url, "blob:", "data:")) for url in requests), requests
    assert any("/tiles/lsoa11/" in url for url in requests)


def test_map_hover_names_the_area_and_level_picker_switches(page):
    page.goto(page.base_url + "/?level=lad19")
    page.wait_for_selector("#map[data-status=ready]", timeout=20_000)
    point = page.evaluate("""() => {
        const f = window.commonGroundMap.queryRenderedFeatures({layers: ['areas-fill']})
            .find(f => f.properties.gss_code === 'E08000032');
        const c = window.commonGroundMap.getCanvas().getBoundingClientRect();
        const p = window.commonGroundMap.project([-1.80, 53.80]);
        return [c.left + p.x, c.top + p.y, f ? 1 : 0];
    }""")
    assert point[2] == 1
    page.mouse.move(point[0], point[1])
    page.wait_for_function("document.querySelector('#hover-code').textContent === 'E08000032'")
    assert page.inner_text("#hover-name") == "Bradford"
    page.select_option("#level-picker", "ward13")
    page.wait_for_selector("#map[data-level=ward13][data-status=ready]", timeout=20_000)
    assert "level=ward13" in page.url
    n = page.evaluate("""() => new Set(window.commonGroundMap
        .queryRenderedFeatures({layers: ['areas-fill']}).map(f => f.properties.gss_code)).size""")
    assert n == 52
