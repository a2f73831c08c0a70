"""The priorities page in Chromium: the partnership's rows, a district chosen from the
area selector, a withheld figure shown as [c], a download, and nothing asked of any
other origin or refused by the Content Security Policy."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from layers.models import Area, Indicator, Priority
from tests.builders import publish_crime, three_parties
from tests.portal.browser.conftest import ARGS, CHROMIUM
from tests.signin import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def analyst(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    for order, (slug, title) in enumerate(
        (("burglary", "Reduce burglary"), ("secured-pct", "Secure more homes")), start=1
    ):
        Priority.objects.create(
            slug=slug, title=title, indicator=Indicator.objects.get(slug=slug), display_order=order
        )
    cookie = session_cookie(parties["council_analyst"])
    session = SessionStore(session_key=cookie["value"])
    session["purpose"] = "community_safety"
    session.save()
    district = Area.objects.filter(level__slug="lad19").order_by("name").first()
    return {"cookie": cookie, "district": district, "secret": parties["secret_code"]}


def test_priorities_page_choose_a_district_and_download(analyst, shared_url, artifacts):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        context.add_cookies([analyst["cookie"]])
        page = context.new_page()
        page.add_init_script(LISTEN)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))

        page.goto(shared_url + "/")
        page.get_by_role("link", name="Priorities").click()
        page.wait_for_url("**/priorities/")
        assert page.locator("h1").inner_text() == "Priorities: The partnership area"
        rows = page.locator("#priorities-table tbody tr")
        assert rows.count() == 2
        assert "Reduce burglary" in rows.nth(0).inner_text()
        assert "the partnership is the comparator" in rows.nth(0).inner_text()

        district = analyst["district"]
        page.select_option("#priority-area", f"lad19:{district.gss_code}")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(f"**/priorities/?area=lad19%3A{district.gss_code}")
        assert page.locator("h1").inner_text() == f"Priorities: {district.name}"
        first = rows.nth(0).inner_text()
        assert "2025-03" in first and "expected at the partnership average" in first
        page.screenshot(path=str(artifacts / "priorities-district.png"), full_page=True)

        page.goto(shared_url + f"/priorities/?area=lsoa11:{analyst['secret']}")
        assert "[c]" in rows.nth(0).inner_text()

        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        assert download.value.suggested_filename.startswith(f"priorities-{analyst['secret']}")

        assert page.evaluate("window.__cspViolations") == []
        browser.close()
    assert all(url.startswith((shared_url, "data:")) for url in requests), [
        u for u in requests if not u.startswith((shared_url, "data:"))
    ]
