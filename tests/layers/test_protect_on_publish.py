"""Protection as a batch job on publish (DISCLOSURE.md section 4): every table a read can
need is computed ahead of the reads, which then only fetch."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ingest.pipeline.run import run
from layers.agreements import edit_agreement
from layers.domain.access import Use
from layers.models import ProtectedTable, Release
from layers.protection import protect_release, served_policies
from layers.read import read_values
from tests.builders import agreement_terms

pytestmark = pytest.mark.django_db


def test_served_policies_are_the_owners_view_and_each_active_agreements(crime):
    served = served_policies(crime["dataset"])
    keys = {(policy.min_count, policy.round_to, finest.slug) for policy, finest in served}
    # The owner's unprotected view at the dataset's level, and ISA-2025-001 (10, round 5).
    assert keys == {(0, 0, "lsoa11"), (10, 5, "lsoa11")}


def test_protect_release_computes_every_table_once_and_reads_then_only_fetch(crime):
    release = crime["release"]
    ProtectedTable.objects.filter(release=release).delete()
    n_new, n_kept = protect_release(release)
    # One indicator, two periods, two policy views.
    assert (n_new, n_kept) == (4, 0)
    assert protect_release(release) == (0, 4)
    kept = ProtectedTable.objects.filter(release=release).count()
    table = read_values(
        crime["council_analyst"],
        indicator="burglary",
        level="lsoa11",
        use=Use.API,
        purpose="community_safety",
    )
    assert ProtectedTable.objects.filter(release=release).count() == kept  # nothing new
    assert table.n_withheld > 0


def test_publishing_a_release_protects_it_when_a_worker_runs(
    settings, crime, tmp_path, django_capture_on_commit_callbacks
):
    settings.PROTECT_ON_PUBLISH = True
    path = tmp_path / "crime-april.csv"
    path.write_text(
        "area_code,period,indicator,value\n"
        + "".join(f"{code},2025-04,burglary,{n + 1}\n" for code, n in crime["counts"].items())
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = run(path, crime["dataset"], commit=True)
    assert result.ok and result.release is not None
    # The owner's view and ISA-2025-001's, for the one period: there before any read.
    keys = set(
        ProtectedTable.objects.filter(release=result.release).values_list("policy_key", flat=True)
    )
    assert len(keys) == 2 and any(k.startswith("t10-r5-") for k in keys)


def test_an_agreement_change_protects_under_its_new_policy(
    settings, crime, django_capture_on_commit_callbacks
):
    settings.PROTECT_ON_PUBLISH = True
    with django_capture_on_commit_callbacks(execute=True):
        edit_agreement(
            crime["agreement"], agreement_terms(min_count=5), acting_user=None, note="lower"
        )
    assert ProtectedTable.objects.filter(
        release=crime["release"], policy_key__startswith="t5-"
    ).exists()


def test_no_protection_is_scheduled_without_a_worker(
    settings, crime, django_capture_on_commit_callbacks
):
    settings.PROTECT_ON_PUBLISH = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        edit_agreement(crime["agreement"], agreement_terms(min_count=6), acting_user=None, note="x")
    assert not any("protect" in repr(c) for c in callbacks)
    assert not ProtectedTable.objects.filter(policy_key__startswith="t6-").exists()


def test_protect_releases_command_dry_run_then_commit(crime):
    release = crime["release"]
    ProtectedTable.objects.filter(release=release).delete()
    out = StringIO()
    call_command("protect_releases", "--dataset", "recorded-crime", stdout=out)
    assert "dry run" in out.getvalue()
    assert not ProtectedTable.objects.filter(release=release).exists()
    out = StringIO()
    call_command("protect_releases", "--dataset", "recorded-crime", "--commit", stdout=out)
    assert "4 table(s) computed" in out.getvalue()
    assert Release.objects.get(id=release.id).status == "published"
