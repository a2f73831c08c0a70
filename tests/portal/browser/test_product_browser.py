"""Recording a product in Chromium: the analyst ticks the figures she read (her own
audited reads), saves, sees the product with the agreement it was read under, and later
records its outcome; under the Content Security Policy."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore

from layers.domain.access import Use
from layers.models import AuditEvent, Product
from layers.read import read_values
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
    ana = parties["council_analyst"]
    for period in ("2025-02", "2025-03", "2025-03"):
        read_values(
            ana,
            indicator="burglary",
            level="lsoa11",
            period=period,
            use=Use.MAP,
            purpose="community_safety",
        )
    latest = AuditEvent.objects.filter(user=ana, action="values.read").order_by("-id").first()
    cookie = session_cookie(ana)
    session = SessionStore(session_key=cookie["value"])
    session["purpose"] = "community_safety"
    session.save()
    return {"cookie": cookie, "latest": latest.id, "ana": ana}


def test_record_a_product_from_my_reads_then_its_outcome(analyst, shared_url, artifacts):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([analyst["cookie"]])
        page = context.new_page()
        page.add_init_script(LISTEN)

        page.goto(shared_url + "/products/")
        assert "No products recorded yet" in page.inner_text("#products")
        page.click("text=Products")  # the nav link
        page.click("#new-product")
        page.wait_for_url(re.compile(r"/products/new/$"))
        rows = page.locator("#reads tbody tr")
        assert rows.count() == 2  # March (read twice) and February
        assert "2025-03" in rows.nth(0).inner_text() and "ISA-2025-001" in rows.nth(0).inner_text()
        page.fill("#id_title", "Burglary hot spots briefing")
        page.select_option("#id_kind", "tasking_briefing")
        page.fill("#id_made_on", "2026-03-02")
        page.fill("#id_served", "Fortnightly tasking meeting")
        page.fill("#id_served_on", "2026-03-04")
        page.check(f"#source-{analyst['latest']}")
        page.screenshot(path=str(artifacts / "product-new.png"), full_page=True)
        page.click("#save")
        page.wait_for_url(re.compile(r"/products/[a-z0-9]+/$"))
        assert "Burglary hot spots briefing" in page.inner_text("h1")
        sources = page.inner_text("#sources")
        assert "burglary" in sources and "2025-03" in sources and "ISA-2025-001 v1" in sources
        assert "No outcome recorded yet" in page.inner_text("#outcome")

        page.click("#outcome >> text=Record the outcome")
        page.fill("#id_outcome", "Patrols redirected; burglary down 12% next quarter")
        page.fill("#id_outcome_on", "2026-06-30")
        page.click("#save-outcome")
        page.wait_for_url(re.compile(r"/products/[a-z0-9]+/$"))
        assert "burglary down 12%" in page.inner_text("#outcome")
        page.screenshot(path=str(artifacts / "product-detail.png"), full_page=True)
        violations = page.evaluate("window.__cspViolations")
        browser.close()

    assert violations == []
    product = Product.objects.get()
    assert product.title == "Burglary hot spots briefing"
    assert [s.event_id for s in product.sources.all()] == [analyst["latest"]]
    assert product.sources.get().n_reads == 2
    assert list(
        AuditEvent.objects.filter(action__startswith="product.").values_list("action", flat=True)
    ) == ["product.outcome_recorded", "product.created"]
