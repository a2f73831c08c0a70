"""Protected tables from stored releases: the whole published system, kept per (release,
policy), sticky across releases, checked by an attacker's LP over what is released."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.pipeline.run import run
from layers.domain.disclosure.audit import Equation, intervals
from layers.domain.disclosure.policy import UNPROTECTED, DisclosurePolicy, WardMethod
from layers.models import Area, GeographyLevel, Indicator, Lookup, Period, Release
from layers.protection import protected_table
from tests.builders import make_agency, make_dataset

pytestmark = pytest.mark.django_db

POLICY = DisclosurePolicy(min_count=10, round_to=0, secondary=True)


@pytest.fixture
def crime(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    dataset = make_dataset(owner=make_agency(slug="city-police", name="Police", kind="police"))
    Indicator.objects.create(
        dataset=dataset, slug="burglary", name="Burglary", measure="count", is_summable=True
    )
    return dataset


def publish(dataset, tmp_path, counts: dict[str, int], name: str) -> Release:
    path = tmp_path / name
    path.write_text(
        "area_code,period,indicator,value\n"
        + "".join(f"{code},2025-03,burglary,{n}\n" for code, n in counts.items())
    )
    result = run(path, dataset, commit=True)
    assert result.ok, result.render()
    return Release.objects.get(dataset=dataset, status="published")


def counts(mean: float, seed: int = 3) -> dict[str, int]:
    codes = sorted(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
    rng = np.random.default_rng(seed)
    return {code: int(n) for code, n in zip(codes, rng.poisson(mean, len(codes)), strict=True)}


def table(release, finest="lsoa11", policy=POLICY):
    return protected_table(
        release=release,
        indicator=Indicator.objects.get(slug="burglary"),
        period=Period.objects.get(code="2025-03"),
        policy=policy,
        finest_level=GeographyLevel.objects.get(slug=finest),
    )


def attacker_intervals(cells: dict, truth: dict[str, int], *, wards: bool = False) -> dict:
    """Rebuild the equations from the released cells alone (what anyone can see) and
    solve for every withheld LSOA, MSOA and district."""
    lookup = Lookup.objects.filter(child_level__slug="lsoa11", method="exact")
    msoa_of = dict(
        lookup.filter(parent_level__slug="msoa11").values_list("child_code", "parent_code")
    )
    lad_of = dict(
        Lookup.objects.filter(
            child_level__slug="msoa11", parent_level__slug="lad19", method="exact"
        ).values_list("child_code", "parent_code")
    )
    values, hidden = {}, set()
    for level in ("lsoa11", "msoa11", "lad19", "partnership"):
        for code, (value, status, _, _) in cells[level].items():
            key = f"{level}:{code}"
            if status == "withheld":
                hidden.add(key)
            else:
                values[key] = value
    for code, n in truth.items():  # the true values of withheld cells: for the LP only
        values.setdefault(f"lsoa11:{code}", n)
    for msoa in set(msoa_of.values()):
        values.setdefault(f"msoa11:{msoa}", sum(n for c, n in truth.items() if msoa_of[c] == msoa))
    eqs = [
        Equation(f"msoa11:{m}", tuple(f"lsoa11:{c}" for c in truth if msoa_of[c] == m))
        for m in set(msoa_of.values())
    ]
    eqs += [
        Equation(f"lad19:{d}", tuple(f"msoa11:{m}" for m in lad_of if lad_of[m] == d))
        for d in set(lad_of.values())
    ]
    eqs.append(Equation("partnership:ALL", tuple(f"lad19:{d}" for d in set(lad_of.values()))))
    if wards:
        ward_of = dict(
            Lookup.objects.filter(
                child_level__slug="lsoa11", parent_level__slug="ward13"
            ).values_list("child_code", "parent_code")
        )
        for code, (value, status, _, _) in cells["ward13"].items():
            if status == "withheld":
                hidden.add(f"ward13:{code}")
                values[f"ward13:{code}"] = sum(n for c, n in truth.items() if ward_of[c] == code)
            else:
                values[f"ward13:{code}"] = value
            eqs.append(
                Equation(
                    f"ward13:{code}", tuple(f"lsoa11:{c}" for c in truth if ward_of[c] == code)
                )
            )
    for d in set(lad_of.values()):
        values.setdefault(
            f"lad19:{d}", sum(values[f"msoa11:{m}"] for m in lad_of if lad_of[m] == d)
        )
    return intervals(values, hidden, eqs)


def test_protected_table_covers_every_published_level_and_withholds_small_counts(crime, tmp_path):
    truth = counts(8)
    release = publish(crime, tmp_path, truth, "r1.csv")
    cells = table(release).cells
    assert set(cells) == {"lsoa11", "msoa11", "lad19", "partnership", "ward13"}
    assert len(cells["lsoa11"]) == 502 and len(cells["msoa11"]) == 98
    for code, (value, status, reason, _) in cells["lsoa11"].items():
        if 0 < truth[code] < 10:
            assert (value, status, reason) == (None, "withheld", "confidential")
        elif status == "shown":
            assert value == truth[code]
    assert cells["partnership"]["ALL"][0] == sum(truth.values())


def test_no_withheld_cell_can_be_worked_out_from_what_is_released(crime, tmp_path):
    truth = counts(11)
    cells = table(publish(crime, tmp_path, truth, "r1.csv")).cells
    found = attacker_intervals(cells, truth)
    assert found, "something must be withheld at this density"
    for key, interval in found.items():
        level, code = key.split(":")
        primary = level == "lsoa11" and 0 < truth[code] < 10
        assert interval.width >= (10 if primary else 1) - 1e-9, (key, interval)


def test_protected_table_is_computed_once_per_release_and_policy(crime, tmp_path):
    release = publish(crime, tmp_path, counts(8), "r1.csv")
    first = table(release)
    assert table(release).id == first.id
    other = table(release, policy=DisclosurePolicy(min_count=5, round_to=5))
    assert other.id != first.id and other.policy_key == "t5-r5-d100-publish-s"


def test_finest_level_msoa_publishes_no_lsoa_figures(crime, tmp_path):
    truth = counts(8)
    cells = table(publish(crime, tmp_path, truth, "r1.csv"), finest="msoa11").cells
    assert "lsoa11" not in cells and "ward13" not in cells
    assert set(cells) == {"msoa11", "lad19", "partnership"}


def test_withheld_cells_stay_withheld_in_the_next_release(crime, tmp_path):
    truth = counts(8)
    first = table(publish(crime, tmp_path, truth, "r1.csv")).cells["lsoa11"]
    small = next(code for code, n in truth.items() if 0 < n < 10)
    assert first[small][1] == "withheld"
    revised = {**truth, small: 40}  # now far above the threshold
    second = table(publish(crime, tmp_path, revised, "r2.csv")).cells["lsoa11"]
    assert second[small][:2] == [None, "withheld"]


def test_wards_are_sums_of_published_lsoas_or_withheld_as_incomplete(crime, tmp_path):
    truth = dict.fromkeys(counts(8), 50)  # nothing small: every ward can be shown
    truth[next(iter(truth))] = 3
    cells = table(publish(crime, tmp_path, truth, "r1.csv")).cells
    statuses = {status for _, status, _, _ in cells["ward13"].values()}
    assert statuses == {"shown", "withheld"}
    incomplete = [c for c in cells["ward13"].values() if c[1] == "withheld"]
    assert all(c[2] == "custom_area_incomplete" and c[0] is None for c in incomplete)


@pytest.mark.parametrize("mean", [20, 12, 6])
def test_wards_inside_the_protected_system_converge_and_leave_nothing_recoverable(
    crime, tmp_path, mean
):
    # Leicester and Bradford, all of their wards in the protected system: elimination per
    # district, then the audit, converges at every density (no fall back to wards from
    # published LSOAs, nothing failed closed), and an attacker's LP over what is released
    # (wards included) recovers nothing and narrows no small count below 10.
    truth = counts(mean, seed=5)
    policy = DisclosurePolicy(min_count=10, round_to=0, ward_method=WardMethod.PROTECTED)
    protected = table(publish(crime, tmp_path, truth, "r1.csv"), policy=policy)
    assert protected.policy_key.endswith("-wp")
    assert "ward_method" not in protected.report  # no fallback
    assert protected.report["n_failed_closed"] == 0
    assert protected.report["narrowest_primary"] >= 10
    wards = protected.cells["ward13"]
    assert {c[2] for c in wards.values() if c[1] == "withheld"} <= {"confidential"}
    assert any(c[1] == "shown" for c in wards.values())
    found = attacker_intervals(protected.cells, truth, wards=True)
    assert found
    for key, interval in found.items():
        level, code = key.split(":")
        primary = level == "lsoa11" and 0 < truth[code] < 10
        assert interval.width >= (10 if primary else 1) - 1e-9, (key, interval)


def test_owner_view_is_every_figure_unrounded_at_every_level(crime, tmp_path):
    truth = counts(8)
    cells = table(publish(crime, tmp_path, truth, "r1.csv"), policy=UNPROTECTED).cells
    assert {code: c[0] for code, c in cells["lsoa11"].items()} == truth
    assert all(c[1] == "shown" for level in cells.values() for c in level.values())
    assert cells["partnership"]["ALL"][0] == sum(truth.values())


def test_wards_fall_back_to_published_units_when_the_protected_system_fails(crime, tmp_path):
    # A cell withheld in the first release stays withheld (sticky); in the second its
    # whole MSOA is zero, so the published MSOA total of 0 gives it away whatever else is
    # withheld (zeros are never complements): the protected system cannot converge, and
    # the wards fall back to sums of published LSOAs (DISCLOSURE.md 4 step 5).
    policy = DisclosurePolicy(min_count=10, round_to=0, ward_method=WardMethod.PROTECTED)
    truth = counts(12, seed=5)
    first = table(publish(crime, tmp_path, truth, "r1.csv"), policy=policy).cells["lsoa11"]
    msoa_of = dict(
        Lookup.objects.filter(
            child_level__slug="lsoa11", parent_level__slug="msoa11", method="exact"
        ).values_list("child_code", "parent_code")
    )
    sticky = next(code for code in sorted(first) if first[code][1] == "withheld")
    revised = {c: (0 if msoa_of[c] == msoa_of[sticky] else n) for c, n in truth.items()}
    protected = table(publish(crime, tmp_path, revised, "r2.csv"), policy=policy)
    assert "did not converge" in protected.report["ward_method"]
    assert protected.cells["lsoa11"][sticky][:2] == [None, "withheld"]
    incomplete = {c[2] for c in protected.cells["ward13"].values() if c[1] == "withheld"}
    assert incomplete == {"custom_area_incomplete"}
