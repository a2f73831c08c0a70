"""load_partnership's `priorities:` section: priorities and their targets, checked with
the path of each bad key, written in place and audited like the rest of the file."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from layers.models import AuditEvent, Priority, PriorityTarget
from tests.layers.test_load_partnership_command import MINIMAL

pytestmark = pytest.mark.django_db

BASE = copy.deepcopy(MINIMAL)
BASE["datasets"][0]["level"] = "lsoa11"
BASE["datasets"][0]["indicators"].append(
    {"slug": "burglary", "name": "Burglary", "measure": "count", "polarity": "lower_is_better"}
)
BASE["agreements"][0]["finest_level"] = "lsoa11"
PRIORITIES = [
    {
        "slug": "reduce-all-crime",
        "title": "Reduce all recorded crime",
        "indicator": "all-crime",
        "polarity": "lower_is_better",
        "targets": [
            {"level": "partnership", "at_most": 10500, "period": "2026-03"},
            {"level": "lad19", "area": "E06000016", "at_most": 4000, "due_on": "2026-03-31"},
        ],
    },
    {
        "slug": "reduce-burglary",
        "title": "Reduce burglary",
        "indicator": "burglary",
        "owner": "city-police",
    },
]


def doc(priorities=None) -> dict:
    out = copy.deepcopy(BASE)
    out["priorities"] = copy.deepcopy(PRIORITIES if priorities is None else priorities)
    return out


def load(tmp_path: Path, document: object, **options) -> str:
    path = tmp_path / "partnership.yaml"
    path.write_text(yaml.safe_dump(document))
    out = StringIO()
    call_command("load_partnership", str(path), stdout=out, **options)
    return out.getvalue()


def test_priorities_and_targets_are_loaded_in_file_order(tmp_path):
    load(tmp_path, doc())
    crime, burglary = Priority.objects.order_by("display_order")
    assert (crime.slug, crime.display_order, crime.owner) == ("reduce-all-crime", 1, None)
    assert crime.indicator.slug == "all-crime" and crime.effective_polarity == "lower_is_better"
    assert burglary.owner.slug == "city-police" and burglary.polarity == ""
    assert burglary.effective_polarity == "lower_is_better"  # the indicator's own
    targets = {(t.level, t.area_code): t for t in crime.targets.all()}
    whole = targets[("partnership", "")]
    assert (whole.value, whole.comparison, whole.period_code) == (10500, "at_most", "2026-03")
    leicester = targets[("lad19", "E06000016")]
    assert str(leicester.due_on) == "2026-03-31" and leicester.period_code == ""


def test_priorities_are_audited_and_a_rerun_changes_only_what_changed(tmp_path):
    load(tmp_path, doc())
    created = AuditEvent.objects.filter(action="priority.created")
    assert sorted(e.detail["priority"] for e in created) == ["reduce-all-crime", "reduce-burglary"]
    assert AuditEvent.objects.filter(action="prioritytarget.created").count() == 2
    before = AuditEvent.objects.count()
    assert "0 created, 0 updated" in load(tmp_path, doc())
    assert AuditEvent.objects.count() == before
    changed = doc()
    changed["priorities"][0]["targets"] = [
        {"level": "partnership", "at_least": 1, "period": "2026-03"}
    ]
    changed["priorities"][1]["title"] = "Reduce residential burglary"
    load(tmp_path, changed)
    updated = AuditEvent.objects.get(action="priority.updated")
    assert updated.detail["changed"]["title"] == ["Reduce burglary", "Reduce residential burglary"]
    assert AuditEvent.objects.get(action="prioritytarget.updated").detail["area"] == ""
    deleted = AuditEvent.objects.get(action="prioritytarget.deleted")
    assert deleted.detail["area"] == "E06000016"
    assert list(PriorityTarget.objects.values_list("comparison", flat=True)) == ["at_least"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p[0].update(indicator="all-crimes"),
            "priorities[0].indicator: unknown indicator",
        ),
        (lambda p: p[0].update(polarity="up"), "priorities[0].polarity: unknown polarity 'up'"),
        (lambda p: p[1].update(owner="probation"), "priorities[1].owner: unknown agency"),
        (lambda p: p[1].update(slug="reduce-all-crime"), "priorities[1].slug: duplicate priority"),
        (lambda p: p[0].pop("title"), "priorities[0].title: is required"),
        (lambda p: p[0].update(colour="red"), "priorities[0].colour: unknown key"),
        (
            lambda p: p[0]["targets"][1].update(area="E06099999"),
            "priorities[0].targets[1].area: no lad19 area with code 'E06099999'",
        ),
        (
            lambda p: p[0]["targets"][1].update(level="lad99"),
            "priorities[0].targets[1].level: unknown level 'lad99'",
        ),
        (
            lambda p: p[0]["targets"][1].pop("area"),
            "priorities[0].targets[1].area: is required for a target of a lad19 area",
        ),
        (
            lambda p: p[0]["targets"][0].update(area="E06000016"),
            "priorities[0].targets[0].area: the partnership as a whole takes no area code",
        ),
        (
            lambda p: p[0]["targets"][0].update(at_least=3),
            "priorities[0].targets[0]: needs exactly one of at_most or at_least",
        ),
        (
            lambda p: p[0]["targets"][0].update(at_most="lots"),
            "priorities[0].targets[0].at_most: must be a number",
        ),
        (
            lambda p: p[0]["targets"][0].update(period="March"),
            "priorities[0].targets[0].period: 'March'",
        ),
        (
            lambda p: p[0]["targets"][1].update(due_on="soon"),
            "priorities[0].targets[1].due_on: 'soon' is not a date",
        ),
        (
            lambda p: p[0]["targets"].append({"level": "partnership", "at_most": 1}),
            "priorities[0].targets[2]: a second target for the same area",
        ),
    ],
)
def test_bad_priorities_name_the_path_and_nothing_is_written(tmp_path, edit, message):
    document = doc()
    edit(document["priorities"])
    # Other tests' committed events may be in the table: count, do not assume it empty.
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError) as error:
        load(tmp_path, document)
    assert message in str(error.value)
    assert "nothing was written" in str(error.value)
    assert not Priority.objects.exists() and AuditEvent.objects.count() == events


def test_admin_priority_with_an_inline_target_is_audited(client):
    from django.contrib.auth.models import User

    from layers.models import Indicator
    from tests.builders import make_agency, make_dataset
    from tests.signin import sign_in

    police = make_agency(slug="city-police", name="City Police", kind="police")
    indicator = Indicator.objects.create(
        dataset=make_dataset(owner=police), slug="burglary", name="Burglary", measure="count"
    )
    root = User.objects.create_superuser("root", password="a-test-password-1")
    admin_client = sign_in(client, root)
    response = admin_client.post(
        "/admin/layers/priority/add/",
        {
            "slug": "reduce-burglary",
            "title": "Reduce burglary",
            "description": "",
            "indicator": indicator.id,
            "polarity": "lower_is_better",
            "owner": police.id,
            "display_order": "1",
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "1000",
            "targets-0-level": "partnership",
            "targets-0-area_code": "",
            "targets-0-value": "500",
            "targets-0-comparison": "at_most",
            "targets-0-period_code": "2026-03",
            "targets-0-due_on": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = AuditEvent.objects.get(action="priority.created")
    assert created.username == "root" and created.agency_id == police.id
    assert created.detail["values"]["title"] == "Reduce burglary"
    target = AuditEvent.objects.get(action="prioritytarget.created")
    assert target.detail["values"]["value"] == 500 and target.agency_id == police.id
