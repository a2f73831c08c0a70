"""The Content Security Policy in a real browser: the API docs (Swagger UI from npm) work
under it, with no violation reported, and inline script is refused. The map, which needs a
signed-in user, is checked under the policy in test_map_analyst.py."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# Installed before any page script runs; the browser fires this event for each refusal.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def watch(page) -> list[str]:
    console: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return console


def test_api_docs_render_under_the_content_security_policy(page, artifacts):
    console = watch(page)
    page.goto(page.base_url + "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() > 5
    page.locator(".swagger-ui .opblock-summary").first.click()  # renders examples, models
    page.wait_for_selector(".swagger-ui .opblock-body .responses-wrapper", timeout=10_000)
    page.screenshot(path=str(artifacts / "api-docs-csp.png"))
    assert page.evaluate("window.__cspViolations") == []
    assert console == []


def test_an_inline_script_is_refused_by_the_policy(page):
    # The check above could pass with no policy at all: show that one is enforced.
    page.add_init_script(LISTEN)
    page.goto(page.base_url + "/login/")
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__ran = true'; document.body.appendChild(s); }""")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__cspViolations"))
