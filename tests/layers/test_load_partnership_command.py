from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from layers.models import (
    Agency,
    Agreement,
    AgreementVersion,
    AuditEvent,
    Dataset,
    Indicator,
    Membership,
)

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parent.parent.parent / "demo" / "partnership.yaml"
MINIMAL = {
    "agencies": [
        {"slug": "city-police", "name": "City Police", "kind": "police"},
        {"slug": "city-council", "name": "City Council", "kind": "council"},
    ],
    "users": [
        {"username": "ana", "agency": "city-council", "role": "analyst"},
        {"username": "feed", "agency": "city-council", "role": "service"},
    ],
    "datasets": [
        {
            "slug": "recorded-crime",
            "agency": "city-police",
            "theme": "crime",
            "title": "Police recorded crime",
            "level": "lsoa21",
            "indicators": [{"slug": "all-crime", "name": "All recorded crime", "measure": "count"}],
        },
    ],
    "agreements": [
        {
            "reference": "ISA-2025-001",
            "provider": "city-police",
            "recipients": ["city-council"],
            "datasets": ["recorded-crime"],
            "purposes": ["community_safety"],
            "legal_basis": "crime_and_disorder_act_1998_s115",
            "roles": ["analyst", "neighbourhood_manager", "service"],
            "finest_level": "lsoa21",
            "uses": ["map", "api", "export"],
            "disclosure": {
                "min_count": 10,
                "round_to": 5,
                "min_denominator": 100,
                "secondary": True,
            },
            "starts_on": "2025-04-01",
            "ends_on": "2027-03-31",
            "review_on": "2026-10-01",
            "status": "active",
        },
    ],
}


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "partnership.yaml"
    path.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    return path


def load(path: Path, **options) -> str:
    out = StringIO()
    call_command("load_partnership", str(path), stdout=out, **options)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (
            Agency,
            User,
            Membership,
            Dataset,
            Indicator,
            Agreement,
            AgreementVersion,
            AuditEvent,
        )
    )


def test_load_partnership_sets_up_everything_in_a_valid_file(tmp_path):
    out = load(write(tmp_path, MINIMAL))
    assert "7 created" in out  # 2 agencies, 2 users, a dataset, an indicator, an agreement
    version = Agreement.objects.get(reference="ISA-2025-001").current
    assert version.version == 1
    assert sorted(a.slug for a in version.recipients.all()) == ["city-council"]
    assert version.min_count == 10 and version.round_to == 5 and version.secondary
    assert version.finest_level.slug == "lsoa21"
    assert Membership.objects.get(user__username="feed").role == "service"
    assert Indicator.objects.get(slug="all-crime").is_summable
    assert not User.objects.get(username="ana").has_usable_password()
    assert (
        AuditEvent.objects.filter(
            action="agreement.version_created", agreement_ref="ISA-2025-001"
        ).count()
        == 1
    )


def test_load_partnership_rerun_updates_in_place_and_versions_changed_agreements(tmp_path):
    path = write(tmp_path, MINIMAL)
    load(path)
    before = counts()
    assert "0 created, 0 updated, 7 unchanged" in load(path)
    assert counts() == before
    changed = yaml.safe_load(yaml.safe_dump(MINIMAL))
    changed["agreements"][0]["status"] = "suspended"
    changed["agreements"][0]["disclosure"]["min_count"] = 8
    load(write(tmp_path, changed))
    agreement = Agreement.objects.get(reference="ISA-2025-001")
    assert agreement.versions.count() == 2
    assert agreement.current.status == "suspended" and agreement.current.min_count == 8
    old = agreement.versions.get(version=1)
    assert old.status == "active" and old.min_count == 10  # the old version stays readable


def test_load_partnership_loads_the_demo_file():
    out = load(DEMO, demo_password="x-demo-password", verbosity=2)
    assert "created agreement ISA-2025-002" in out
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {
        "analyst",
        "neighbourhood_manager",
        "data_steward",
        "information_manager",
        "service",
    }
    assert Agency.objects.count() >= 3
    policies = {(v.min_count, v.round_to) for v in AgreementVersion.objects.all()}
    assert len(policies) == 3
    public = AgreementVersion.objects.filter(uses=["public"]).order_by("agreement__reference")
    assert [v.agreement.reference for v in public] == ["ISA-2025-003", "ISA-2025-004"]
    assert all(v.recipients.count() == 0 and v.roles == [] for v in public)
    assert User.objects.get(username="multi").memberships.count() == 2
    assert User.objects.get(username="ana").check_password("x-demo-password")
    # Counts carry a denominator for scanning: all crime -> population.
    crime = Indicator.objects.get(slug="all-crime")
    assert crime.denominator_indicator == Indicator.objects.get(slug="population")


def test_load_partnership_sets_and_clears_a_denominator(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(MINIMAL))
    # The denominator is named before its own dataset comes in the file.
    doc["datasets"][0]["indicators"][0]["denominator"] = "population"
    doc["datasets"].append(
        {
            "slug": "population",
            "agency": "city-council",
            "theme": "other",
            "title": "Population",
            "level": "lsoa21",
            "indicators": [{"slug": "population", "name": "People", "measure": "count"}],
        }
    )
    load(write(tmp_path, doc))
    crime = Indicator.objects.get(slug="all-crime")
    assert crime.denominator_indicator is not None
    assert crime.denominator_indicator.slug == "population"
    del doc["datasets"][0]["indicators"][0]["denominator"]
    load(write(tmp_path, doc))
    crime.refresh_from_db()
    assert crime.denominator_indicator is None
    (event,) = AuditEvent.objects.filter(
        action="indicator.updated", detail__indicator="all-crime"
    ).order_by("-id")[:1]
    assert event.detail["changed"] == {"denominator_indicator": ["population", None]}


def mutate(edit) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(MINIMAL))
    edit(doc)
    return doc


BAD = [
    (
        lambda d: d["agreements"][0].update(finest_level="lsao21"),
        "agreements[0].finest_level: unknown level 'lsao21'",
    ),
    (
        lambda d: d["agreements"][0].update(recipients=["city-counsel"]),
        "agreements[0].recipients[0]: unknown agency 'city-counsel'",
    ),
    (
        lambda d: d["agreements"][0].update(roles=["analyst", "boss"]),
        "agreements[0].roles[1]: unknown role 'boss'",
    ),
    (
        lambda d: d["agreements"][0].update(uses=["print"]),
        "agreements[0].uses[0]: unknown use 'print'",
    ),
    (
        lambda d: d["agreements"][0].update(ends_on="2024-01-01"),
        "agreements[0].ends_on: 2024-01-01 is before starts_on 2025-04-01",
    ),
    (
        lambda d: d["agreements"][0].update(starts_on="1st April"),
        "agreements[0].starts_on: '1st April' is not a date",
    ),
    (
        lambda d: d["agreements"][0].update(status="signed"),
        "agreements[0].status: unknown status 'signed'",
    ),
    (
        lambda d: d["agreements"][0].update(legal_basis="vibes"),
        "agreements[0].legal_basis: unknown legal basis 'vibes'",
    ),
    (
        lambda d: d["agreements"][0].update(legal_basis="other"),
        "agreements[0].legal_basis_text: is required when legal_basis is other",
    ),
    (
        lambda d: d["agreements"][0]["disclosure"].update(min_count=-1),
        "agreements[0].disclosure.min_count: must be a whole number, 0 or more, not -1",
    ),
    (
        lambda d: d["agreements"][0]["disclosure"].update(zero_policy="hide"),
        "agreements[0].disclosure.zero_policy: unknown zero policy 'hide'",
    ),
    (
        lambda d: d["agreements"][0]["disclosure"].update(threshold=5),
        "agreements[0].disclosure.threshold: unknown key",
    ),
    (lambda d: d["agreements"][0].pop("purposes"), "agreements[0].purposes: is required"),
    (
        lambda d: d["agreements"][0].update(datasets=["no-such-data"]),
        "agreements[0].datasets[0]: unknown dataset 'no-such-data'",
    ),
    (
        lambda d: d["agreements"][0].update(provider="city-council"),
        "agreements[0].datasets[0]: dataset 'recorded-crime' belongs to 'city-police'",
    ),
    (
        lambda d: d["agreements"].append(dict(d["agreements"][0])),
        "agreements[1].reference: duplicate agreement 'ISA-2025-001'",
    ),
    (lambda d: d["users"][0].update(role="boss"), "users[0].role: unknown role 'boss'"),
    (lambda d: d["users"][0].update(agency="nowhere"), "users[0].agency: unknown agency 'nowhere'"),
    (lambda d: d["users"][1].update(username="ana"), "users[1].username: duplicate user 'ana'"),
    (
        lambda d: d["agencies"][0].update(kind="army"),
        "agencies[0].kind: unknown agency kind 'army'",
    ),
    (
        lambda d: d["agencies"][0].update(slug="City Police"),
        "agencies[0].slug: 'City Police' is not a valid identifier",
    ),
    (
        lambda d: d["datasets"][0].update(theme="weather"),
        "datasets[0].theme: unknown theme 'weather'",
    ),
    (
        lambda d: d["datasets"][0].update(level="lsoa99"),
        "datasets[0].level: unknown level 'lsoa99'",
    ),
    (
        lambda d: d["datasets"][0]["indicators"][0].update(measure="vibe"),
        "datasets[0].indicators[0].measure: unknown measure 'vibe'",
    ),
    (lambda d: d.update(agreementz=[]), "agreementz: unknown key"),
    (
        lambda d: d["agreements"][0].update(uses=["map", "public"]),
        "agreements[0].uses: public cannot be combined with other uses",
    ),
    (
        lambda d: d["agreements"][0].update(uses=["public"]),
        "agreements[0].recipients: a public agreement names no recipients",
    ),
    (
        lambda d: d["agreements"][0].pop("roles"),
        "agreements[0].roles: is required",
    ),
    (
        lambda d: d["agreements"][0]["disclosure"].update(ward_method="guess"),
        "agreements[0].disclosure.ward_method: unknown ward method 'guess'",
    ),
    (
        lambda d: d["datasets"].append({**d["datasets"][0], "slug": "more-crime"}),
        "datasets[1].indicators[0].slug: duplicate indicator",
    ),
    (
        lambda d: d["datasets"][0]["indicators"][0].update(denominator="populaton"),
        "datasets[0].indicators[0].denominator: unknown indicator 'populaton'",
    ),
    (
        lambda d: d["datasets"][0]["indicators"][0].update(denominator="all-crime"),
        "datasets[0].indicators[0].denominator: an indicator cannot be its own denominator",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_load_partnership_names_the_path_of_each_error_and_writes_nothing(tmp_path, edit, message):
    before = counts()
    with pytest.raises(CommandError) as info:
        load(write(tmp_path, mutate(edit)))
    assert message in str(info.value)
    assert "nothing was written" in str(info.value)
    assert counts() == before


def test_load_partnership_loads_a_public_agreement_without_recipients_or_roles(tmp_path):
    def public(d):
        agreement = d["agreements"][0]
        agreement.update(reference="ISA-2025-003", uses=["public"], finest_level="msoa11")
        del agreement["recipients"], agreement["roles"]

    load(write(tmp_path, mutate(public)))
    version = AgreementVersion.objects.get(agreement__reference="ISA-2025-003")
    assert version.uses == ["public"] and version.roles == []
    assert version.recipients.count() == 0


def test_load_partnership_reports_every_error_at_once(tmp_path):
    doc = mutate(
        lambda d: (
            d["users"][0].update(role="boss"),
            d["agreements"][0].update(finest_level="lsao21"),
        )
    )
    with pytest.raises(CommandError, match=r"2 problem\(s\)"):
        load(write(tmp_path, doc))


def test_load_partnership_rejects_a_file_that_is_not_yaml(tmp_path):
    before = counts()
    with pytest.raises(CommandError, match="is not valid YAML"):
        load(write(tmp_path, "agencies: [unclosed"))
    assert counts() == before


def test_load_partnership_rejects_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        load(tmp_path / "nope.yaml")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_load_partnership_audits_each_record_it_creates(tmp_path):
    load(write(tmp_path, MINIMAL))
    created = {e.action: e for e in AuditEvent.objects.filter(action__endswith=".created")}
    assert {
        "agency.created",
        "user.created",
        "membership.created",
        "dataset.created",
        "indicator.created",
    } <= set(created)
    police = events("agency.created")[0]
    assert police.detail["agency"] == "city-police" and police.agency.slug == "city-police"
    assert police.detail["values"] == {"name": "City Police", "kind": "police"}
    assert police.detail["source"] == "load_partnership"
    dataset = events("dataset.created")[0]
    assert dataset.detail["values"]["owner"] == "city-police"  # records by slug, not id
    assert dataset.agency.slug == "city-police"
    memberships = {
        (e.detail["user"], e.detail["values"]["role"]) for e in events("membership.created")
    }
    assert memberships == {("ana", "analyst"), ("feed", "service")}
    assert all("password" not in str(e.detail) for e in events("user.created"))


def test_load_partnership_audits_only_what_changed_with_old_and_new_values(tmp_path):
    load(write(tmp_path, MINIMAL))
    before = AuditEvent.objects.count()
    changed = mutate(
        lambda d: (
            d["agencies"][1].update(name="City Council (Community Safety)"),
            d["users"][0].update(role="information_manager"),
            d["datasets"][0].update(title="Recorded crime"),
            d["datasets"][0]["indicators"][0].update(unit="crimes"),
        )
    )
    out = load(write(tmp_path, changed))
    assert "0 created, 4 updated" in out
    new = list(AuditEvent.objects.order_by("id")[before:])
    assert sorted(e.action for e in new) == [
        "agency.updated",
        "dataset.updated",
        "indicator.updated",
        "membership.updated",
    ]
    by_action = {e.action: e for e in new}
    assert by_action["agency.updated"].detail["changed"] == {
        "name": ["City Council", "City Council (Community Safety)"]
    }
    role = by_action["membership.updated"]
    assert role.detail["changed"] == {"role": ["analyst", "information_manager"]}
    assert role.detail["user"] == "ana" and role.agency.slug == "city-council"
    assert by_action["indicator.updated"].detail["changed"] == {"unit": ["", "crimes"]}


def test_load_partnership_audits_a_membership_the_file_no_longer_lists(tmp_path):
    doc = mutate(
        lambda d: d["users"][0].update(memberships=[{"agency": "city-police", "role": "analyst"}])
    )
    load(write(tmp_path, doc))
    assert Membership.objects.filter(user__username="ana").count() == 2
    load(write(tmp_path, MINIMAL))
    (gone,) = events("membership.deleted")
    assert gone.detail["user"] == "ana" and gone.agency.slug == "city-police"
    assert Membership.objects.filter(user__username="ana").count() == 1


def test_load_partnership_writes_no_event_when_nothing_changed(tmp_path):
    path = write(tmp_path, MINIMAL)
    load(path)
    before = AuditEvent.objects.count()
    load(path)
    assert AuditEvent.objects.count() == before
