"""Every change made through the Django admin is an audit event (layers/admin.py)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User

from layers.admin import AuditedAdmin
from layers.models import Agency, AuditEvent, Dataset, Indicator, Membership
from tests.builders import make_agency, make_dataset, make_member
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    root = User.objects.create_superuser("root", password="a-test-password-1")
    return sign_in(client, root)  # staff need the second factor


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_every_model_in_the_admin_is_audited():
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model is not AuditEvent and not isinstance(model_admin, AuditedAdmin)
    ]
    assert unaudited == []


def test_admin_add_change_and_delete_of_an_agency_are_audited(admin_client):
    response = admin_client.post(
        "/admin/layers/agency/add/", {"slug": "probation", "name": "Probation", "kind": "probation"}
    )
    assert response.status_code == 302
    agency = Agency.objects.get(slug="probation")
    created = last("agency.created")
    assert created.username == "root" and created.agency_id == agency.id
    assert created.detail["values"] == {
        "slug": "probation",
        "name": "Probation",
        "kind": "probation",
    }
    assert created.detail["source"] == "admin"

    admin_client.post(
        f"/admin/layers/agency/{agency.id}/change/",
        {"slug": "probation", "name": "Probation Service", "kind": "probation"},
    )
    assert last("agency.updated").detail["changed"] == {"name": ["Probation", "Probation Service"]}

    before = AuditEvent.objects.count()
    admin_client.post(
        f"/admin/layers/agency/{agency.id}/change/",
        {"slug": "probation", "name": "Probation Service", "kind": "probation"},
    )
    assert AuditEvent.objects.count() == before  # saved unchanged: nothing to record

    admin_client.post(f"/admin/layers/agency/{agency.id}/delete/", {"post": "yes"})
    assert not Agency.objects.filter(slug="probation").exists()
    deleted = last("agency.deleted")
    assert deleted.detail["object"] == "Probation Service"
    assert deleted.detail["values"]["slug"] == "probation"


def test_admin_role_change_names_the_old_and_new_role(admin_client):
    council = make_agency()
    ana = make_member("ana", council, "analyst")
    membership = Membership.objects.get(user=ana)
    response = admin_client.post(
        f"/admin/layers/membership/{membership.id}/change/",
        {
            "user": ana.id,
            "agency": council.id,
            "role": "information_manager",
            "default_purpose": "",
        },
    )
    assert response.status_code == 302
    event = last("membership.updated")
    assert event.detail["changed"] == {"role": ["analyst", "information_manager"]}
    assert event.agency_id == council.id


def test_admin_bulk_delete_audits_each_record(admin_client):
    council = make_agency()
    ids = [Membership.objects.get(user=make_member(n, council, "analyst")).id for n in ("a1", "a2")]
    admin_client.post(
        "/admin/layers/membership/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not Membership.objects.filter(id__in=ids).exists()
    assert AuditEvent.objects.filter(action="membership.deleted").count() == 2


def test_admin_inline_indicator_changes_are_audited(admin_client):
    police = make_agency(slug="city-police", name="City Police", kind="police")
    dataset = make_dataset(owner=police)
    indicator = Indicator.objects.create(
        dataset=dataset, slug="all-crime", name="All", measure="count"
    )
    data = {
        "slug": dataset.slug,
        "owner": police.id,
        "theme": "crime",
        "title": dataset.title,
        "description": "",
        "source": "",
        "licence": "",
        "level": dataset.level_id,
        "indicators-TOTAL_FORMS": "2",
        "indicators-INITIAL_FORMS": "1",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
        "indicators-0-id": indicator.id,
        "indicators-0-dataset": dataset.id,
        "indicators-0-slug": "all-crime",
        "indicators-0-name": "All recorded crime",
        "indicators-0-measure": "count",
        "indicators-0-unit": "",
        "indicators-0-polarity": "neutral",
        "indicators-0-multiplier": "1",
        "indicators-1-dataset": dataset.id,
        "indicators-1-slug": "burglary",
        "indicators-1-name": "Burglary",
        "indicators-1-measure": "count",
        "indicators-1-unit": "",
        "indicators-1-polarity": "neutral",
        "indicators-1-multiplier": "1",
    }
    response = admin_client.post(f"/admin/layers/dataset/{dataset.id}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert last("indicator.updated").detail["changed"] == {"name": ["All", "All recorded crime"]}
    created = last("indicator.created")
    assert created.detail["values"]["slug"] == "burglary" and created.agency_id == police.id
    assert not AuditEvent.objects.filter(action="dataset.updated").exists()  # dataset unchanged
    assert Dataset.objects.get(id=dataset.id).indicators.count() == 2


def test_admin_user_add_and_password_change_are_audited_without_the_password(admin_client):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "newbie",
            "password1": "a-long-Secret-991",
            "password2": "a-long-Secret-991",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    created = last("user.created")
    assert created.detail["values"]["username"] == "newbie"
    assert (
        "a-long-Secret-991" not in str(created.detail)
        and "password1" not in created.detail["values"]
    )

    newbie = User.objects.get(username="newbie")
    response = admin_client.post(
        f"/admin/auth/user/{newbie.id}/password/",
        {
            "password1": "another-Secret-992",
            "password2": "another-Secret-992",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    changed = last("password.changed")
    assert changed.detail == {"user": "newbie", "source": "admin"} and changed.username == "root"
    assert "another-Secret-992" not in str(
        list(AuditEvent.objects.values_list("detail", flat=True))
    )
