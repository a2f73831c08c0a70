"""The per-agreement usage report: its counts are the audit trail's, it is for the
information managers of the provider and the recipients only, and its CSV is safe to
open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from layers.domain.access import Use
from layers.models import AuditEvent, Indicator, Priority, Product
from layers.priorities import dashboard, find_dashboard_area
from layers.products import recent_reads, record_outcome, record_product
from layers.profile import area_profile, find_area
from layers.read import read_values
from layers.scanning import scan
from tests.builders import make_member, publish_crime, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
PURPOSE = "community_safety"
URL = "/agreements/ISA-2025-001/usage/"


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    ana = parties["council_analyst"]
    manager = make_member("nm", parties["council"], "neighbourhood_manager")
    police_analyst = make_member("paul", parties["police"], "analyst")
    for user, period, use in (
        (ana, "2025-03", Use.MAP),
        (ana, "2025-03", Use.MAP),
        (ana, "2025-02", Use.EXPORT),
        (manager, "2025-02", Use.API),
        # The owner's own read: no agreement, not usage of it.
        (police_analyst, "2025-03", Use.MAP),
    ):
        read_values(
            user, indicator="burglary", level="lsoa11", period=period, use=use, purpose=PURPOSE
        )
    code = sorted(parties["counts"])[0]
    area_profile(ana, find_area(ana, code, level="lsoa11"), use=Use.MAP, purpose=PURPOSE)
    parties.update(manager=manager, police_analyst=police_analyst)
    return parties


def page(user: Any, query: str = "") -> Any:
    return sign_in(Client(), user).get(URL + query)


def rows_of(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_counts_are_the_audit_events_of_reads_under_the_agreement(world):
    events = [
        e
        for e in AuditEvent.objects.filter(action__in=["values.read", "profile.read"])
        if e.agreement_ref == "ISA-2025-001" or "ISA-2025-001" in (e.detail.get("agreements") or [])
    ]
    # Four values reads and one profile read by the council; not the police's own read.
    assert len(events) == 5
    rows = rows_of(page(world["police_im"], "?format=csv"))
    by = {(r["section"], r["item"], r["level"]): r for r in rows}
    total = by[("period", next(r["item"] for r in rows if r["section"] == "period"), "")]
    assert int(total["reads"]) == 5
    assert int(total["values_returned"]) == sum(e.n_returned for e in events)
    assert int(total["values_withheld"]) == sum(e.n_withheld for e in events)
    assert sum(e.n_withheld for e in events) > 0  # the SECRET cell, withheld

    uses = Counter(e.use for e in events)
    assert uses == {"map": 3, "export": 1, "api": 1}
    for use, n in uses.items():
        assert int(by[("use", use, "")]["reads"]) == n
        assert int(by[("use", use, "")]["values_returned"]) == sum(
            e.n_returned for e in events if e.use == use
        )
    assert int(by[("agency", "City Council", "")]["reads"]) == 5
    assert not any(r["item"] == "City Police" for r in rows if r["section"] == "agency")
    month = f"{timezone.localdate():%Y-%m}"
    assert int(by[("month", month, "")]["reads"]) == 5
    assert int(by[("dataset", "Recorded Crime", "lsoa11")]["reads"]) == 4
    assert int(by[("dataset", "Recorded Crime (area profiles)", "lsoa11")]["reads"]) == 1

    html = page(world["police_im"]).content.decode()
    assert "<strong>5</strong> reads" in html


def test_a_period_without_reads_shows_none(world):
    response = page(world["council_im"], "?start=2099-01-01&end=2099-12-31")
    assert response.status_code == 200
    assert "No figures were read under this agreement in this period." in response.content.decode()


def test_only_information_managers_of_the_provider_or_a_recipient_see_it(world):
    assert page(world["police_im"]).status_code == 200
    assert page(world["council_im"]).status_code == 200
    assert page(world["fire_im"]).status_code == 404
    assert page(world["council_analyst"]).status_code == 404
    assert page(world["fire_im"], "?format=csv").status_code == 404
    assert Client().get(URL).status_code == 302  # to sign in


def test_products_using_the_agreement_are_listed_with_outcomes_and_the_csv_is_neutralised(world):
    ana = world["council_analyst"]
    product = record_product(
        user=ana,
        agency=world["council"],
        fields={
            "title": '=HYPERLINK("http://evil.example","click")',
            "kind": Product.Kind.TASKING_BRIEFING,
            "made_on": timezone.localdate(),
            "served": "+tasking",
        },
        groups=recent_reads(ana)[:1],
    )
    record_outcome(
        product, user=ana, outcome="@SUM(1+1) patrols redirected", outcome_on=timezone.localdate()
    )
    # A product citing no read under the agreement is not listed.
    record_product(
        user=ana,
        agency=world["council"],
        fields={"title": "Unrelated", "kind": "other", "made_on": timezone.localdate()},
        groups=[],
    )
    html = page(world["police_im"]).content.decode()
    assert "patrols redirected" in html and "Unrelated" not in html
    # The provider's manager sees it listed, but the product page is the council's.
    assert f"/products/{product.public_id}/" not in html
    assert f"/products/{product.public_id}/" in page(world["council_im"]).content.decode()

    response = page(world["police_im"], "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    products = [r for r in rows_of(response) if r["section"] == "product"]
    assert len(products) == 1
    assert products[0]["item"] == '\'=HYPERLINK("http://evil.example","click")'
    assert products[0]["served"] == "'+tasking"
    assert products[0]["outcome"] == "'@SUM(1+1) patrols redirected"
    for row in rows_of(response):
        assert not any(str(v)[:1] in "=+-@" for v in row.values() if v)
    assert AuditEvent.objects.filter(
        action="agreement.usage_exported", agreement_ref="ISA-2025-001"
    ).exists()


def test_a_recipient_sees_its_own_products_and_only_a_count_of_the_others(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties(recipients=["city-council", "fire-rescue"])
    parties.update(publish_crime(parties, tmp_path))
    fred = make_member("fred", parties["fire"], "analyst")
    for user in (parties["council_analyst"], fred):
        read_values(
            user,
            indicator="burglary",
            level="lsoa11",
            period="2025-03",
            use=Use.MAP,
            purpose=PURPOSE,
        )
    for user, agency, title in (
        (parties["council_analyst"], parties["council"], "Council burglary briefing"),
        (fred, parties["fire"], "Fire arson problem profile"),
    ):
        record_product(
            user=user,
            agency=agency,
            fields={"title": title, "kind": "other", "made_on": timezone.localdate()},
            groups=recent_reads(user)[:1],
        )
    provider = page(parties["police_im"]).content.decode()
    assert "Council burglary briefing" in provider and "Fire arson problem profile" in provider
    assert "by other recipients" not in provider
    council = page(parties["council_im"])
    html = council.content.decode()
    assert "Council burglary briefing" in html and "Fire arson problem profile" not in html
    assert "1 product by other recipients also cites" in html
    rows = rows_of(page(parties["council_im"], "?format=csv"))
    assert [r["item"] for r in rows if r["section"] == "product"] == ["Council burglary briefing"]
    assert "Fire arson" not in page(parties["council_im"], "?format=csv").content.decode()
    assert any(r["section"].startswith("products by other recipients") for r in rows)
    fire = page(parties["fire_im"]).content.decode()
    assert "Fire arson problem profile" in fire and "Council burglary briefing" not in fire


def test_the_agreement_page_links_to_the_report(world):
    html = sign_in(Client(), world["police_im"]).get("/agreements/ISA-2025-001/").content.decode()
    assert 'href="/agreements/ISA-2025-001/usage/"' in html


def test_scans_and_priorities_reads_and_exports_count_as_use_of_the_agreement(world):
    """Scanning for areas of concern and the priorities dashboard (its page and its
    downloads) release figures under the agreement too: the report counts them."""
    ana = world["council_analyst"]
    Priority.objects.create(
        slug="p-burglary", title="Reduce burglary", indicator=Indicator.objects.get(slug="burglary")
    )
    scan(ana, indicator="burglary", use=Use.MAP, purpose=PURPOSE)
    whole = find_dashboard_area(ana, None)
    dashboard(ana, whole, use=Use.MAP, purpose=PURPOSE)
    dashboard(ana, whole, use=Use.EXPORT, purpose=PURPOSE)
    actions = Counter(
        e.action
        for e in AuditEvent.objects.filter(action__in=["concerns.read", "priorities.read"])
        if "ISA-2025-001" in (e.detail.get("agreements") or [e.agreement_ref])
    )
    assert actions == {"concerns.read": 1, "priorities.read": 2}
    rows = rows_of(page(world["police_im"], "?format=csv"))
    total = next(r for r in rows if r["section"] == "period")
    assert int(total["reads"]) == 5 + 3  # the fixture's five, and these three
    by = {(r["section"], r["item"]): r for r in rows}
    assert int(by[("use", "export")]["reads"]) == 2  # a values export and the dashboard's
    labels = {r["item"] for r in rows if r["section"] == "dataset"}
    assert "Recorded Crime (scans for areas of concern)" in labels
    assert any("priorities dashboard" in label for label in labels)
