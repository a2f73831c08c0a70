"""`load_demo_products` on the demo: two products with SIMULATED outcomes, citing the
demo analyst's own audited reads; a second run records nothing new."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from layers.models import AuditEvent, Product, ProductSource
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def run() -> str:
    out = io.StringIO()
    call_command("load_demo_products", stdout=out)
    return out.getvalue()


def test_demo_products_are_recorded_once_with_outcomes_from_anas_reads(demo):
    assert "recorded 2" in run()
    products = list(Product.objects.order_by("kind"))
    assert [p.kind for p in products] == ["funding_bid", "tasking_briefing"]
    for product in products:
        assert product.is_demo and "(demo)" in product.title
        assert "(simulated)" in product.outcome and product.outcome_on is not None
        assert product.author.username == "ana" and product.agency.slug == "city-council"
        sources = list(product.sources.select_related("event"))
        assert sources and all(s.event.user_id == product.author_id for s in sources)
    briefing = Product.objects.get(kind="tasking_briefing")
    assert {s.action for s in briefing.sources.all()} == {"values.read", "profile.read"}
    bid = Product.objects.get(kind="funding_bid")
    assert sorted(ref for s in bid.sources.all() for ref in s.agreements) == [
        "ISA-2025-001",
        "ISA-2025-002",
    ]

    counts = (
        Product.objects.count(),
        ProductSource.objects.count(),
        AuditEvent.objects.filter(user__username="ana").count(),
    )
    assert "unchanged" in run()
    assert counts == (
        Product.objects.count(),
        ProductSource.objects.count(),
        AuditEvent.objects.filter(user__username="ana").count(),
    )

    # Ivan, the council's information manager, finds them in the agreements' reports.
    ivan = sign_in(Client(), "ivan")
    page = ivan.get("/agreements/ISA-2025-002/usage/").content.decode()
    assert bid.title in page and "demo, simulated" in page
    assert briefing.title in ivan.get("/agreements/ISA-2025-001/usage/").content.decode()
