"""Products: recording one cites only the author's own recent reads; another agency's
product is a 404; every change is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from layers.domain.access import Use
from layers.models import AuditEvent, Product
from layers.products import recent_reads
from layers.read import read_values
from tests.builders import make_member, publish_crime, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
PURPOSE = "community_safety"


def read(user: Any, period: str, *, use: Use = Use.MAP, indicator: str = "burglary") -> int:
    read_values(user, indicator=indicator, level="lsoa11", period=period, use=use, purpose=PURPOSE)
    return AuditEvent.objects.filter(user=user, action="values.read").order_by("-id").first().id


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    parties["colleague"] = make_member("bob", parties["council"], "analyst")
    parties["fire_analyst"] = make_member("fred", parties["fire"], "analyst")
    parties["steward"] = make_member("sam", parties["police"], "data_steward")
    ana = parties["council_analyst"]
    parties["ana_reads"] = [read(ana, "2025-03"), read(ana, "2025-03"), read(ana, "2025-02")]
    parties["bob_read"] = read(parties["colleague"], "2025-02")
    return parties


def client_for(user: Any) -> Client:
    return sign_in(Client(), user)


def new_product(client: Client, sources: list[int], **overrides: Any):
    data = {
        "title": "Burglary tasking briefing",
        "kind": "tasking_briefing",
        "made_on": "2026-03-02",
        "summary": "Where burglary rose",
        "served": "Tasking meeting",
        "served_on": "2026-03-04",
        "sources": [str(s) for s in sources],
    }
    data.update(overrides)
    return client.post("/products/new/", data)


def test_the_picker_offers_the_users_own_reads_grouped_never_a_colleagues(world):
    page = client_for(world["council_analyst"]).get("/products/new/").content.decode()
    march, _, february = world["ana_reads"]
    # One row per thing read: the two March reads are one group led by the later read.
    assert f'value="{world["ana_reads"][1]}"' in page
    assert f'value="{march}"' not in page
    assert f'value="{february}"' in page
    assert f'value="{world["bob_read"]}"' not in page


def test_a_product_cannot_cite_a_colleagues_read(world):
    response = new_product(client_for(world["council_analyst"]), [world["bob_read"]])
    assert response.status_code == 200
    assert "not one of the available choices" in response.content.decode()
    assert not Product.objects.exists()
    assert not AuditEvent.objects.filter(action="product.created").exists()


def test_reads_older_than_ninety_days_are_not_offered(world):
    ana = world["council_analyst"]
    assert len(recent_reads(ana)) == 2
    assert recent_reads(ana, now=timezone.now() + timedelta(days=91)) == []


def test_recording_a_product_keeps_its_sources_and_agreements_and_is_audited(world):
    ana = world["council_analyst"]
    latest_march, february = world["ana_reads"][1], world["ana_reads"][2]
    response = new_product(client_for(ana), [latest_march, february])
    product = Product.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/products/{product.public_id}/"
    assert product.agency == world["council"] and product.author == ana
    sources = {s.event_id: s for s in product.sources.all()}
    assert set(sources) == {latest_march, february}
    assert sources[latest_march].n_reads == 2
    assert sources[latest_march].periods == ["2025-03"]
    assert sources[latest_march].indicators == ["burglary"]
    assert sources[latest_march].agreements == ["ISA-2025-001"]
    assert sources[latest_march].dataset == world["dataset"]
    event = AuditEvent.objects.get(action="product.created")
    assert event.user == ana and event.agency_id == world["council"].id
    assert event.detail["product"] == product.public_id
    assert event.detail["sources"] == sorted([latest_march, february])
    assert event.detail["agreements"] == ["ISA-2025-001"]
    page = client_for(ana).get(f"/products/{product.public_id}/").content.decode()
    assert "ISA-2025-001 v1" in page and "2025-03" in page and "Tasking meeting" in page


def test_a_product_of_another_agency_is_404_everywhere(world):
    new_product(client_for(world["council_analyst"]), [world["ana_reads"][2]])
    product = Product.objects.get()
    fire = client_for(world["fire_analyst"])
    for suffix in ("", "edit/", "outcome/"):
        assert fire.get(f"/products/{product.public_id}/{suffix}").status_code == 404
    response = fire.post(
        f"/products/{product.public_id}/outcome/", {"outcome": "x", "outcome_on": "2026-04-01"}
    )
    assert response.status_code == 404
    assert "Burglary tasking briefing" not in fire.get("/products/").content.decode()
    product.refresh_from_db()
    assert product.outcome == ""
    # A colleague of the same agency sees it.
    colleague = client_for(world["colleague"])
    assert colleague.get(f"/products/{product.public_id}/").status_code == 200


def test_products_are_for_analysts_managers_and_information_managers(world):
    steward = client_for(world["steward"])
    assert steward.get("/products/").status_code == 404
    assert "/products/" not in steward.get("/account/").content.decode()
    assert (
        'href="/products/"'
        in client_for(world["council_analyst"]).get("/account/").content.decode()
    )
    assert client_for(world["council_im"]).get("/products/").status_code == 200


def test_recording_the_outcome_is_audited_and_keeps_the_previous_note(world):
    ana = world["council_analyst"]
    new_product(client_for(ana), [world["ana_reads"][2]])
    product = Product.objects.get()
    colleague = client_for(world["colleague"])
    url = f"/products/{product.public_id}/outcome/"
    assert (
        colleague.post(url, {"outcome": "Patrols moved", "outcome_on": "2026-05-01"}).status_code
        == 302
    )
    product.refresh_from_db()
    assert product.outcome == "Patrols moved" and product.outcome_by == world["colleague"]
    assert str(product.outcome_on) == "2026-05-01"
    colleague.post(url, {"outcome": "Burglary down 12%", "outcome_on": "2026-07-01"})
    events = list(AuditEvent.objects.filter(action="product.outcome_recorded").order_by("id"))
    assert [e.detail["outcome"] for e in events] == ["Patrols moved", "Burglary down 12%"]
    assert events[1].detail["previous"] == {"outcome": "Patrols moved", "outcome_on": "2026-05-01"}
    assert all(e.detail["agreements"] == ["ISA-2025-001"] for e in events)
    assert (
        "Burglary down 12%"
        in client_for(ana).get(f"/products/{product.public_id}/").content.decode()
    )


def test_editing_changes_fields_and_sources_with_one_audit_event(world):
    ana = world["council_analyst"]
    client = client_for(ana)
    latest_march, february = world["ana_reads"][1], world["ana_reads"][2]
    new_product(client, [february])
    product = Product.objects.get()
    url = f"/products/{product.public_id}/edit/"
    page = client.get(url).content.decode()
    assert f'value="{february}" id="source-{february}" checked' in page
    form = {
        "title": "Burglary briefing, revised",
        "kind": "tasking_briefing",
        "made_on": "2026-03-02",
        "summary": "Where burglary rose",
        "served": "Tasking meeting",
        "served_on": "2026-03-04",
        "sources": [str(latest_march)],
    }
    assert client.post(url, form).status_code == 302
    product.refresh_from_db()
    assert product.title == "Burglary briefing, revised"
    assert list(product.sources.values_list("event_id", flat=True)) == [latest_march]
    event = AuditEvent.objects.get(action="product.changed")
    assert event.detail["changed"]["title"] == [
        "Burglary tasking briefing",
        "Burglary briefing, revised",
    ]
    assert event.detail["changed"]["sources"] == [[february], [latest_march]]
    client.post(url, form)  # nothing changed: no second event
    assert AuditEvent.objects.filter(action="product.changed").count() == 1


def test_the_list_searches_and_sorts(world):
    client = client_for(world["council_analyst"])
    new_product(
        client, [], title="Alpha assessment", made_on="2026-01-01", kind="strategic_assessment"
    )
    new_product(client, [], title="Bravo bid", made_on="2026-02-01", kind="funding_bid")
    page = client.get("/products/").content.decode()
    assert page.index("Bravo bid") < page.index("Alpha assessment")  # newest first
    page = client.get("/products/?sort=made&dir=asc").content.decode()
    assert page.index("Alpha assessment") < page.index("Bravo bid")
    page = client.get("/products/?q=bravo").content.decode()
    assert "Bravo bid" in page and "Alpha assessment" not in page
    page = client.get("/products/?sort=evil;drop&dir=sideways").content.decode()
    assert "Bravo bid" in page


def test_a_form_posted_after_another_read_of_the_same_figures_still_finds_its_group(world):
    ana = world["council_analyst"]
    first_march, latest_march, _ = world["ana_reads"]
    # The page offered `latest_march`; the map in another tab read March again since.
    newer = read(ana, "2025-03")
    assert new_product(client_for(ana), [latest_march, first_march]).status_code == 302
    (source,) = Product.objects.get().sources.all()
    assert source.event_id == newer and source.n_reads == 3


def test_editing_keeps_a_source_linked_to_the_read_it_cites(world):
    ana = world["council_analyst"]
    client = client_for(ana)
    latest_march = world["ana_reads"][1]
    new_product(client, [latest_march])
    product = Product.objects.get()
    read(ana, "2025-03")  # a newer read of the same figures
    url = f"/products/{product.public_id}/edit/"
    form = {
        "title": "Renamed",
        "kind": "tasking_briefing",
        "made_on": "2026-03-02",
        "sources": [str(latest_march)],
    }
    assert client.post(url, form).status_code == 302
    assert list(product.sources.values_list("event_id", flat=True)) == [latest_march]
    assert "sources" not in AuditEvent.objects.get(action="product.changed").detail["changed"]


def test_an_outcome_dated_before_the_product_is_refused(world):
    ana = world["council_analyst"]
    new_product(client_for(ana), [], made_on="2026-03-02")
    product = Product.objects.get()
    response = client_for(ana).post(
        f"/products/{product.public_id}/outcome/", {"outcome": "x", "outcome_on": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "the outcome comes after the product (2 March 2026)" in response.content.decode()
    assert not AuditEvent.objects.filter(action="product.outcome_recorded").exists()
