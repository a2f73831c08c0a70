"""The area profile through the database: figures through the one read path, ranks and
medians over shown figures only, comparators, intervals, and one audit event a read."""

from __future__ import annotations

import math

import pytest

from layers.audit import events_visible_to, filter_events
from layers.domain.access import Reason, Use
from layers.domain.comparison import Polarity, Significance, compare
from layers.domain.disclosure.primary import round_half_away
from layers.domain.errors import NotFound, ParamError
from layers.domain.intervals import Method, percentage_interval, rate_interval
from layers.geography import custom_area_code, save_custom_area
from layers.models import Area, AuditEvent, GeographyLevel, Indicator, Lookup
from layers.profile import ACTION, Figure, Profile, area_profile, find_area
from layers.read import AccessRefused, read_values
from tests.builders import (
    SECRET,
    make_agency,
    make_agreement,
    make_dataset,
    make_member,
    publish_crime,
    publish_rows,
    three_parties,
)

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"


@pytest.fixture
def world(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    parties["police_analyst"] = make_member("paul", parties["police"], "analyst")
    parties["fire_analyst"] = make_member("fred", parties["fire"], "analyst")
    return parties


def profile_of(user, code: str, **kwargs) -> Profile:
    kwargs.setdefault("use", Use.API)
    kwargs.setdefault("purpose", PURPOSE)
    return area_profile(user, find_area(user, code), **kwargs)


def entry(profile: Profile, slug: str):
    return next(i for i in profile.indicators if i.indicator.slug == slug)


def every_figure(profile: Profile) -> list[Figure]:
    out = []
    for item in profile.indicators:
        out += [item.value, *(f for _, f in item.trend)]
        for comparator in (item.district, item.partnership):
            if comparator is not None:
                out += [comparator.value, *([comparator.total] if comparator.total else [])]
    return out


def test_recipient_sees_the_secret_area_withheld_unranked_and_nowhere_as_a_number(world):
    profile = profile_of(world["council_analyst"], world["secret_code"])
    burglary = entry(profile, "burglary")
    assert (burglary.value.value, burglary.value.status, burglary.value.marker) == (
        None,
        "withheld",
        "[c]",
    )
    assert burglary.ranking is None
    assert [(p.code, f.marker) for p, f in burglary.trend] == [
        ("2025-02", "[c]"),
        ("2025-03", "[c]"),
    ]
    for slug in ("burglary-rate", "secured-pct"):
        item = entry(profile, slug)
        assert item.value.marker == "[c]" and item.interval is None and item.ranking is None
        assert item.partnership.significance is Significance.NOT_COMPARED
    assert entry(profile, "risk-score").value.is_shown
    assert all(f.value != SECRET for f in every_figure(profile))


def test_rank_and_decile_count_shown_figures_only(world):
    user = world["council_analyst"]
    table = read_values(user, indicator="burglary", level="lsoa11", use=Use.API, purpose=PURPOSE)
    shown = {r.area_code: r.value for r in table.rows if r.status == "shown"}
    withheld = [r.area_code for r in table.rows if r.status == "withheld"]
    assert withheld and world["secret_code"] in withheld
    code = sorted(shown)[0]
    item = entry(profile_of(user, code), "burglary")
    expected_rank = 1 + sum(1 for v in shown.values() if v > shown[code])
    assert (item.ranking.rank, item.ranking.of, item.n_ranked) == (
        expected_rank,
        len(shown),
        len(shown),
    )
    assert item.ranking.decile == math.ceil(10 * expected_rank / len(shown))


def test_count_comparators_are_released_totals_and_their_per_area_means(world):
    user = world["council_analyst"]
    code = sorted(world["counts"])[0]
    item = entry(profile_of(user, code), "burglary")
    district_code = Lookup.objects.get(
        child_level__slug="lsoa11", child_code=code, parent_level__slug="lad19"
    ).parent_code
    districts = read_values(
        user, indicator="burglary", level="lad19", use=Use.API, purpose=PURPOSE
    ).rows
    released = next(r for r in districts if r.area_code == district_code)
    district = item.district
    assert (district.area_code, district.level, district.total.value) == (
        district_code,
        "lad19",
        released.value,
    )
    lsoas = read_values(
        user,
        indicator="burglary",
        level="lsoa11",
        within=district_code,
        use=Use.API,
        purpose=PURPOSE,
    ).rows
    with_data = [r for r in lsoas if r.status != "no_data"]
    assert district.n_areas == len(with_data)
    assert district.value.value == pytest.approx(released.value / len(with_data))
    assert district.method == "released_total_per_area"
    partnership = item.partnership
    # Totals are rounded from the exact total, independently of their parts.
    assert partnership.total.value == round_half_away(sum(world["counts"].values()), 5)
    assert partnership.significance is Significance.NOT_COMPARED


def test_rate_and_percentage_intervals_and_significance(world):
    user = world["council_analyst"]
    code = sorted(world["counts"])[0]
    n, households = world["counts"][code], world["households"][code]
    profile = profile_of(user, code)
    rate = entry(profile, "burglary-rate")
    expected = rate_interval(n, households, per=1000)
    assert rate.interval == expected and expected.method is Method.BYAR
    assert rate.interval.low < rate.value.value < rate.interval.high
    assert rate.partnership.method == "ratio_of_summed_numerators_and_denominators"
    assert rate.partnership.significance is compare(
        rate.interval, rate.partnership.value.value, Polarity.LOWER_IS_BETTER
    )
    pct = entry(profile, "secured-pct")
    assert pct.interval.method is Method.WILSON
    low, high = pct.interval.low, pct.interval.high
    assert low < pct.value.value < high
    numerator = round(pct.value.value * households / 100)
    assert pct.interval == percentage_interval(numerator, households)


def test_scores_compare_with_the_median_of_shown_areas_and_say_so(world):
    user = world["council_analyst"]
    code = sorted(world["counts"])[0]
    item = entry(profile_of(user, code), "risk-score")
    rows = read_values(user, indicator="risk-score", level="lsoa11", use=Use.API, purpose=PURPOSE)
    shown = sorted(r.value for r in rows.rows if r.status == "shown")
    middle = len(shown) // 2
    median = shown[middle] if len(shown) % 2 else (shown[middle - 1] + shown[middle]) / 2
    assert item.partnership.method == "median_of_shown_area_figures"
    assert item.partnership.value.value == pytest.approx(median)
    assert item.partnership.n_areas == len(shown)
    assert item.interval is None and item.partnership.significance is Significance.NOT_COMPARED


def test_owner_sees_the_secret_unprotected_and_ranked(world):
    item = entry(profile_of(world["police_analyst"], world["secret_code"]), "burglary")
    assert item.value.value == SECRET and item.ranking is not None
    assert item.policy is None and item.decision.reason is Reason.OWN_AGENCY


def test_outsider_gets_no_indicators_and_one_event_naming_the_refusal(world):
    before = AuditEvent.objects.count()
    profile = profile_of(world["fire_analyst"], world["secret_code"])
    assert profile.indicators == []
    event = AuditEvent.objects.get(id__gt=0, action=ACTION, username="fred")
    assert AuditEvent.objects.count() == before + 1
    assert event.detail["refused"] == {"recorded-crime": "no_agreement"}
    assert (event.n_returned, event.n_withheld) == (0, 0)


def test_asking_for_a_refused_indicator_is_refused_and_audited_once(world):
    before = AuditEvent.objects.count()
    with pytest.raises(AccessRefused) as info:
        profile_of(world["fire_analyst"], world["secret_code"], indicators=["burglary"])
    assert info.value.decision.reason is Reason.NO_AGREEMENT
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.outcome) == ("access.refused", "nothing_permitted")
    assert event.detail["refused"] == {"recorded-crime": "no_agreement"}


def test_one_audit_event_per_read_counts_what_was_returned(world):
    before = AuditEvent.objects.count()
    profile = profile_of(world["council_analyst"], world["secret_code"])
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    figures = [f for i in profile.indicators for f in i.figures()]
    assert event.action == ACTION and event.agreement_ref == "ISA-2025-001"
    assert (event.n_returned, event.n_withheld) == (
        len(figures),
        sum(1 for f in figures if f.status == "withheld"),
    )
    assert event.n_withheld >= 6  # the SECRET area's count, rate and percentage, two months
    assert event.detail["indicators"] == [i.indicator.slug for i in profile.indicators]
    assert event.detail["agreements"] == ["ISA-2025-001"]
    assert event.use == "api" and event.purpose == PURPOSE


def test_custom_area_is_a_sum_of_published_lsoas_or_withheld(world):
    council = world["council"]
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    shown_codes = sorted(world["counts"])[:3]
    whole = save_custom_area(owner=council, name="Patch", base_level=lsoa, codes=shown_codes)
    holed = save_custom_area(
        owner=council,
        name="Holed",
        base_level=lsoa,
        codes=[*shown_codes, world["secret_code"]],
    )
    user = world["council_analyst"]
    table = read_values(user, indicator="burglary", level="lsoa11", use=Use.API, purpose=PURPOSE)
    released = {r.area_code: r.value for r in table.rows}
    item = entry(profile_of(user, custom_area_code(whole)), "burglary")
    assert item.value.value == sum(released[c] for c in shown_codes)
    assert item.ranking is None
    assert item.partnership.method == "released_total_pro_rata"
    per_lsoa = item.partnership.total.value / item.partnership.n_areas
    assert item.partnership.value.value == pytest.approx(per_lsoa * 3)
    profile = profile_of(user, custom_area_code(holed))
    assert [i.indicator.slug for i in profile.indicators] == ["burglary"]  # counts only
    assert profile.indicators[0].value.marker == "[c]"


def test_another_agencys_private_custom_area_is_not_found(world):
    other = make_agency(slug="other", name="Other")
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    private = save_custom_area(
        owner=other, name="Ours", base_level=lsoa, codes=sorted(world["counts"])[:3]
    )
    with pytest.raises(NotFound):
        find_area(world["council_analyst"], custom_area_code(private))
    private.is_shared = True
    private.save()
    assert find_area(world["council_analyst"], custom_area_code(private)).name == "Ours"


def test_ward_profile_finds_its_district_through_its_lsoas(world):
    ward = Lookup.objects.filter(child_level__slug="lsoa11", parent_level__slug="ward13").first()
    area = find_area(world["council_analyst"], ward.parent_code)
    district = Lookup.objects.get(
        child_level__slug="lsoa11", child_code=ward.child_code, parent_level__slug="lad19"
    ).parent_code
    assert (area.level, area.district_level, area.district_code) == ("ward13", "lad19", district)
    item = entry(
        area_profile(world["council_analyst"], area, use=Use.MAP, purpose=PURPOSE), "burglary"
    )
    assert item.district is not None and item.district.total.is_shown


def test_district_profile_compares_with_the_partnership_only(world):
    profile = profile_of(world["council_analyst"], "E06000016")
    # Counts, and rates and percentages from summed parts; not the score.
    assert [i.indicator.slug for i in profile.indicators] == [
        "burglary",
        "burglary-rate",
        "secured-pct",
    ]
    item = profile.indicators[0]
    assert item.district is None and item.partnership.n_areas == 2
    assert item.ranking.of == 2
    rate = profile.indicators[1]
    assert rate.value.is_shown and rate.interval.method is Method.BYAR
    assert rate.interval.low < rate.value.value < rate.interval.high
    assert rate.partnership.method == "ratio_of_summed_numerators_and_denominators"


def test_unknown_and_ambiguous_codes(world):
    with pytest.raises(NotFound):
        find_area(world["council_analyst"], "E01999999")
    original = Area.objects.get(level__slug="lsoa11", gss_code=world["secret_code"])
    Area.objects.create(
        level=GeographyLevel.objects.get(slug="lsoa21"),
        gss_code=original.gss_code,
        name=original.name,
        geom_27700=original.geom_27700,
        area_ha=original.area_ha,
    )
    with pytest.raises(ParamError, match="lsoa11, lsoa21") as info:
        find_area(world["council_analyst"], original.gss_code)
    assert info.value.parameter == "level"
    assert find_area(world["council_analyst"], original.gss_code, level="lsoa11").level == "lsoa11"


def test_one_indicator_for_one_period_is_a_handful_of_queries(world, django_assert_max_num_queries):
    user = world["council_analyst"]
    area = find_area(user, sorted(world["counts"])[0])
    area_profile(user, area, use=Use.MAP, purpose=PURPOSE)  # protected tables now kept
    with django_assert_max_num_queries(20):
        profile = area_profile(
            user, area, use=Use.MAP, purpose=PURPOSE, indicators=["burglary"], period="2025-02"
        )
    item = profile.indicators[0]
    assert item.period.code == "2025-02" and [p.code for p, _ in item.trend] == [
        "2025-02",
        "2025-03",
    ]


def test_unknown_period_and_indicator_not_at_this_level_are_bad_parameters(world):
    user = world["council_analyst"]
    code = sorted(world["counts"])[0]
    with pytest.raises(ParamError, match="no values for period '2024-01'") as info:
        profile_of(user, code, indicators=["burglary"], period="2024-01")
    assert info.value.parameter == "period"
    with pytest.raises(ParamError, match="risk-score is not published for areas of level lad19"):
        profile_of(user, "E06000016", indicators=["risk-score"])


def test_a_profile_under_two_agreements_is_found_by_either_in_the_audit_trail(world, tmp_path):
    health = make_agency(slug="city-health", name="Health", kind="health")
    ae = make_dataset(slug="ae-attendances", owner=health)
    Indicator.objects.create(dataset=ae, slug="ae", name="A&E", measure="count", is_summable=True)
    rows = [
        {"area_code": c, "period": "2025-03", "indicator": "ae", "value": 40}
        for c in sorted(world["counts"])
    ]
    publish_rows(ae, rows, tmp_path)
    make_agreement(reference="ISA-2025-002", provider=health, datasets=["ae-attendances"])
    profile_of(world["council_analyst"], sorted(world["counts"])[0])
    event = AuditEvent.objects.latest("id")
    assert event.detail["agreements"] == ["ISA-2025-001", "ISA-2025-002"]
    assert event.agreement_ref == ""
    health_im = make_member("him", health, "information_manager")
    assert events_visible_to(health_im).filter(id=event.id).exists()
    found = filter_events(AuditEvent.objects.all(), agreement="ISA-2025-002")
    assert found.filter(id=event.id).exists()
