"""The priorities dashboard through the database (layers.priorities): every figure is the
read path's, a withheld figure stays withheld and feeds no change, comparison or target,
a priority whose dataset the viewer may not see carries no figure, one audit event."""

from __future__ import annotations

import pytest

from layers.domain.access import Use
from layers.domain.comparison import Significance, compare
from layers.domain.intervals import rate_interval
from layers.domain.travel import Direction, TargetStatus, expected_share
from layers.geography import custom_area_code, save_custom_area
from layers.models import Area, AuditEvent, GeographyLevel, Indicator, Priority, PriorityTarget
from layers.priorities import (
    ACTION,
    PARTNERSHIP_AREA,
    Dashboard,
    Method,
    area_choices,
    dashboard,
    find_dashboard_area,
)
from layers.profile import area_profile, find_area
from layers.read import read_values
from tests.builders import SECRET, make_member, publish_crime, three_parties

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"


@pytest.fixture
def world(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    parties.update(publish_crime(parties, tmp_path))
    parties["fire_analyst"] = make_member("fred", parties["fire"], "analyst")
    for order, slug in enumerate(("burglary", "burglary-rate", "secured-pct"), start=1):
        Priority.objects.create(
            slug=f"p-{slug}",
            title=f"Priority on {slug}",
            indicator=Indicator.objects.get(slug=slug),
            display_order=order,
        )
    codes = sorted(parties["counts"])
    parties["district"] = (
        Area.objects.filter(level__slug="lad19")
        .order_by("gss_code")
        .values_list("gss_code", flat=True)
    )[0]
    lsoa = GeographyLevel.objects.get(slug="lsoa11")
    holed = save_custom_area(
        owner=parties["council"],
        name="Around the withheld one",
        base_level=lsoa,
        codes=[parties["secret_code"], *codes[20:23]],
    )
    parties["holed_key"] = f"custom:{custom_area_code(holed)}"
    return parties


def board_for(user, key: str, *, use: Use = Use.MAP) -> Dashboard:
    return dashboard(user, find_dashboard_area(user, key), use=use, purpose=PURPOSE)


def row_of(board: Dashboard, indicator: str):
    return next(r for r in board.rows if r.indicator.slug == indicator)


def test_district_figures_are_the_read_paths_with_trend_and_comparison(world):
    user = world["council_analyst"]
    district = world["district"]
    board = board_for(user, f"lad19:{district}")
    row = row_of(board, "burglary")
    for period in ("2025-02", "2025-03"):
        table = read_values(
            user, indicator="burglary", level="lad19", period=period, use=Use.MAP, purpose=PURPOSE
        )
        released = next(r for r in table.rows if r.area_code == district)
        figure = next(f for p, f in row.trend if p.code == period)
        assert (figure.value, figure.status) == (released.value, released.status)
    assert row.period.code == "2025-03" and row.value.is_shown
    assert row.change == row.value.value - row.trend[0][1].value
    # Two periods: a change can be judged, a trend over the series cannot.
    assert row.series.direction is Direction.TOO_FEW_PERIODS
    assert row.change_direction in {
        Direction.IMPROVING,
        Direction.WORSENING,
        Direction.NO_CLEAR_CHANGE,
    }
    # Compared with the count at the partnership's average per LSOA.
    profile = area_profile(
        user, find_area(user, district, level="lad19"), use=Use.API, purpose=PURPOSE
    )
    total = next(i for i in profile.indicators if i.indicator.slug == "burglary").partnership.total
    assert row.partnership_total == total
    n_all = Area.objects.filter(level__slug="lsoa11").count()
    inside = read_values(
        user, indicator="burglary", level="lsoa11", within=district, use=Use.API, purpose=PURPOSE
    ).rows
    expected = expected_share(total.value, len(inside), n_all)
    assert row.comparator_method == Method.EXPECTED_COUNT
    assert row.comparator.value == pytest.approx(expected)
    assert row.significance is compare(
        rate_interval(row.value.value, 1, per=1), expected, row.polarity
    )


def test_rate_compares_with_the_partnership_rate_on_the_interval(world):
    user = world["council_analyst"]
    district = world["district"]
    row = row_of(board_for(user, f"lad19:{district}"), "burglary-rate")
    profile = area_profile(
        user, find_area(user, district, level="lad19"), use=Use.API, purpose=PURPOSE
    )
    item = next(i for i in profile.indicators if i.indicator.slug == "burglary-rate")
    assert row.value == item.value and row.interval == item.interval
    assert row.comparator == item.partnership.value and row.comparator_method == Method.RATIO
    assert row.significance is item.partnership.significance
    assert row.significance is not Significance.NOT_COMPARED


def test_partnership_figures_are_the_released_partnership_totals(world):
    user = world["council_analyst"]
    board = board_for(user, "partnership")
    profile = area_profile(
        user, find_area(user, world["district"], level="lad19"), use=Use.API, purpose=PURPOSE
    )
    for slug in ("burglary", "burglary-rate", "secured-pct"):
        item = next(i for i in profile.indicators if i.indicator.slug == slug)
        expected = item.partnership.total if slug == "burglary" else item.partnership.value
        row = row_of(board, slug)
        assert (row.value.value, row.value.status) == (expected.value, expected.status)
        assert row.significance is Significance.NOT_COMPARED and row.comparator is None


def test_withheld_figure_stays_withheld_and_feeds_nothing(world):
    user = world["council_analyst"]
    area = find_dashboard_area(user, world["holed_key"])
    board = dashboard(user, area, use=Use.MAP, purpose=PURPOSE)
    row = row_of(board, "burglary")
    assert [(f.value, f.marker) for _, f in row.trend] == [(None, "[c]"), (None, "[c]")]
    assert row.value.value is None and row.interval is None and row.change is None
    assert row.change_direction is Direction.TOO_FEW_PERIODS
    assert row.series.n == 0
    assert row.significance is Significance.NOT_COMPARED
    assert board.n_withheld >= 2
    # The owner sees the same area's figure (no disclosure control): it is a real number.
    owner = make_member("paul", world["police"], "analyst")
    owned = row_of(dashboard(owner, area, use=Use.MAP, purpose=PURPOSE), "burglary")
    assert owned.value.is_shown
    assert SECRET not in [f.value for _, f in row.trend]


def test_a_target_on_a_withheld_figure_has_no_verdict(world):
    user = world["council_analyst"]
    district = world["district"]
    burglary = Priority.objects.get(slug="p-burglary")
    PriorityTarget.objects.create(
        priority=burglary, level="lad19", area_code=district, value=1e9, comparison="at_most"
    )
    PriorityTarget.objects.create(
        priority=burglary, level="partnership", value=1, comparison="at_most"
    )
    row = row_of(board_for(user, f"lad19:{district}"), "burglary")
    assert row.target is not None and row.target_status is TargetStatus.MET
    whole = row_of(board_for(user, "partnership"), "burglary")
    assert whole.target_status is TargetStatus.NOT_MET
    # The LSOA holding the secret: withheld to the council, so no verdict either way.
    PriorityTarget.objects.create(
        priority=burglary,
        level="lsoa11",
        area_code=world["secret_code"],
        value=SECRET,
        comparison="at_most",
    )
    secret = row_of(board_for(user, f"lsoa11:{world['secret_code']}"), "burglary")
    assert secret.value.marker == "[c]" and secret.target_status is TargetStatus.NOT_KNOWN


def test_unseen_priority_carries_no_figure_and_the_read_is_audited_once(world):
    fire = world["fire_analyst"]
    before = AuditEvent.objects.filter(action=ACTION).count()
    board = board_for(fire, f"lad19:{world['district']}")
    assert [r.shared for r in board.rows] == [False, False, False]
    for row in board.rows:
        assert row.refusal == "no_agreement"
        assert row.value is None and row.trend == () and row.comparator is None
        assert row.decision is None
    assert board.n_returned == 0
    events = AuditEvent.objects.filter(action=ACTION)
    assert events.count() == before + 1
    event = events.latest("id")
    assert event.username == "fred" and event.use == "map" and event.n_returned == 0
    assert event.detail["not_shared"] == ["p-burglary", "p-burglary-rate", "p-secured-pct"]
    assert event.detail["refused"] == {"recorded-crime": "no_agreement"}


def test_area_choices_offer_partnership_districts_wards_and_custom_areas(world):
    keys = [c.key for c in area_choices(world["council_analyst"])]
    assert keys[0] == "partnership"
    assert f"lad19:{world['district']}" in keys
    assert any(k.startswith("ward13:") for k in keys)
    assert world["holed_key"] in keys
    assert world["holed_key"] not in [c.key for c in area_choices(world["fire_analyst"])]
    assert find_dashboard_area(world["council_analyst"], None) == PARTNERSHIP_AREA


def test_level_the_agreement_does_not_publish_carries_no_figure(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties(finest_level="msoa11")
    parties.update(publish_crime(parties, tmp_path))
    Priority.objects.create(
        slug="p-burglary", title="Burglary", indicator=Indicator.objects.get(slug="burglary")
    )
    user = parties["council_analyst"]
    ward = Area.objects.filter(level__slug="ward13").order_by("gss_code").first()
    row = row_of(board_for(user, f"ward13:{ward.gss_code}"), "burglary")
    assert not row.shared and row.value is None and row.trend == ()
    assert row.refusal in {"level_not_published", "level_too_fine"}
    lsoa = Area.objects.filter(level__slug="lsoa11").order_by("gss_code").first()
    row = row_of(board_for(user, f"lsoa11:{lsoa.gss_code}"), "burglary")
    assert not row.shared and row.refusal == "level_too_fine"
    # The district is published under the agreement.
    district = Area.objects.filter(level__slug="lad19").order_by("gss_code").first()
    assert row_of(board_for(user, f"lad19:{district.gss_code}"), "burglary").value.is_shown


def test_ward_is_compared_with_its_district_as_well(world):
    from layers.models import Lookup

    user = world["council_analyst"]
    code = sorted(world["counts"])[0]
    ward, district = (
        Lookup.objects.get(
            child_level__slug="lsoa11", child_code=code, parent_level__slug=slug
        ).parent_code
        for slug in ("ward13", "lad19")
    )
    row = row_of(board_for(user, f"ward13:{ward}"), "burglary")
    assert row.district is not None and (row.district.level, row.district.code) == (
        "lad19",
        district,
    )
    total = next(
        r
        for r in read_values(
            user, indicator="burglary", level="lad19", use=Use.API, purpose=PURPOSE
        ).rows
        if r.area_code == district
    )
    assert row.district.total.value == total.value
    in_ward = Lookup.objects.filter(
        child_level__slug="lsoa11", parent_level__slug="ward13", parent_code=ward
    ).count()
    in_district = Lookup.objects.filter(
        child_level__slug="lsoa11", parent_level__slug="lad19", parent_code=district
    ).count()
    assert row.value.is_shown
    expected = total.value * in_ward / in_district
    assert row.district.figure.value == pytest.approx(expected)
    assert row.district.significance is compare(
        rate_interval(row.value.value, 1, per=1), expected, row.polarity
    )
    assert row.district.total in row.figures()
    # A district's own comparator is the partnership alone.
    assert row_of(board_for(user, f"lad19:{district}"), "burglary").district is None
