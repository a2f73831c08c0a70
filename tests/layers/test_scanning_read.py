"""Scanning through the read path: the tests run on shown figures only, a flag never
appears for an area whose figure the viewer may not see, the denominator must be
readable too, and each scan is one audit event."""

from __future__ import annotations

from typing import Any

import pytest

from layers.domain.access import Use
from layers.domain.errors import ParamError
from layers.domain.scanning import Kind, poisson_excess
from layers.models import AuditEvent, Indicator
from layers.protection import PARTNERSHIP, PARTNERSHIP_CODE
from layers.read import (
    AccessRefused,
    current_release,
    decision_for,
    read_values,
    released_cells,
    source_for,
)
from layers.scanning import ACTION, scan
from tests.builders import MONTHS, build_scan_world, make_agreement

pytestmark = pytest.mark.django_db

PURPOSE = "community_safety"


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    return build_scan_world(tmp_path)


def share_population_with_police(world: dict[str, Any]) -> None:
    make_agreement(
        reference="ISA-2025-009",
        provider=world["council"],
        recipients=["city-police"],
        datasets=["population"],
        min_count=0,
        round_to=0,
        secondary=False,
    )


def run(user: Any, **kwargs: Any) -> Any:
    return scan(user, indicator="burglary", use=Use.MAP, purpose=PURPOSE, **kwargs)


def test_the_owner_sees_the_excess_and_the_surge_with_reasons(world):
    share_population_with_police(world)
    before = AuditEvent.objects.count()
    result = run(world["paul"])
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.outcome) == (ACTION, "agreement+own_agency")
    assert event.detail["denominator"] == "population"
    assert event.detail["period"] == MONTHS[-1]
    assert result.not_scanned is None
    assert result.tests == ["excess", "hot_spot", "control"]
    assert result.denominator_period is not None and result.denominator_period.code == "2015"
    by_code = {c.code: c for c in result.concerns}
    secret = by_code[world["secret"]]
    assert secret.excess is not None and secret.excess.flagged
    assert secret.excess.observed == 9
    assert Kind.EXCESS in {f.test for f in secret.flags}
    assert "9 burglaries against" in secret.flags[0].reason
    surge = by_code[world["surge"]]
    assert Kind.CONTROL in {f.test for f in surge.flags}
    assert surge.control is not None and surge.control.n_earlier == 8
    # Sorted by strength: more kinds of evidence first.
    sizes = [len(c.flags) for c in result.concerns]
    assert sizes == sorted(sizes, reverse=True)


def test_no_flag_for_an_area_the_viewer_may_not_see(world):
    """The leak property: every area of concern shown to the council has a shown
    figure in the council's own read of the same indicator, level and period."""
    ana = world["council_analyst"]
    result = run(ana)
    assert result.not_scanned is None and result.policy is not None
    assert result.n_withheld > 0
    table = read_values(ana, indicator="burglary", level="lsoa11", use=Use.MAP, purpose=PURPOSE)
    status = {r.area_code: r.status for r in table.rows}
    assert status[world["secret"]] == "withheld"
    codes = [c.code for c in result.concerns]
    assert world["secret"] not in codes
    assert codes, "the council still has areas of concern"
    assert all(status[c] == "shown" for c in codes)
    # The surge is shown to the council, and flagged for it too.
    assert world["surge"] in codes


def test_the_excess_flags_are_the_domain_function_over_the_shown_figures(world):
    ana = world["council_analyst"]
    result = run(ana)
    counts = read_values(ana, indicator="burglary", level="lsoa11", use=Use.MAP, purpose=PURPOSE)
    people = read_values(ana, indicator="population", level="lsoa11", use=Use.MAP, purpose=PURPOSE)
    shown_counts = {r.area_code: round(r.value) for r in counts.rows if r.status == "shown"}
    shown_people = {r.area_code: r.value for r in people.rows if r.status == "shown"}
    rate = partnership_rate(ana)
    pooled = sum(shown_counts[c] for c in shown_people if c in shown_counts) / sum(
        shown_people[c] for c in shown_counts if c in shown_people
    )
    # Withheld small counts leave the shown areas' own rate leaning: the partnership's
    # released total over its population is the rate the test uses.
    assert result.rate_from == "partnership" and rate != pytest.approx(pooled)
    expected = poisson_excess(shown_counts, shown_people, rate=rate)
    flagged = {c for c, e in expected.items() if e.flagged}
    got = {c.code for c in result.concerns if c.excess is not None and c.excess.flagged}
    assert got == flagged
    for concern in result.concerns:
        if concern.excess is not None:
            assert concern.excess.q == pytest.approx(expected[concern.code].q)
            assert concern.excess.expected == pytest.approx(expected[concern.code].expected)


def partnership_rate(user: Any) -> float:
    """The partnership's released burglary total over its released population, as this
    viewer is shown them (the same protected tables every read uses)."""
    figures = []
    for slug in ("burglary", "population"):
        indicator = Indicator.objects.get(slug=slug)
        dataset = indicator.dataset
        decision = decision_for(user, dataset, dataset.level, use=Use.MAP, purpose=PURPOSE)
        source = source_for(indicator, decision, current_release(dataset))
        period = source.periods[-1]
        cells = released_cells(source, [period], {PARTNERSHIP: [PARTNERSHIP_CODE]})
        cell = cells[period.code][PARTNERSHIP][PARTNERSHIP_CODE]
        assert cell.value is not None
        figures.append(cell.value)
    return figures[0] / figures[1]


def test_without_the_denominator_the_indicator_is_not_scanned(world):
    before = AuditEvent.objects.count()
    result = run(world["paul"])  # police own burglary but may not see the population
    assert result.not_scanned is not None
    assert "Total population" in result.not_scanned and "no agreement" in result.not_scanned
    assert result.concerns == [] and result.tests == []
    (event,) = AuditEvent.objects.order_by("id")[before:]
    assert event.action == ACTION and event.n_returned == 0
    assert event.detail["refused"] == {"population": "no_agreement"}


def test_a_scan_without_agreement_is_refused_and_audited(world):
    before = AuditEvent.objects.count()
    with pytest.raises(AccessRefused):
        run(world["fred"])
    (event,) = AuditEvent.objects.order_by("id")[before:]
    assert event.action == "access.refused"


def test_bad_parameters_name_themselves(world):
    ana = world["council_analyst"]
    Indicator.objects.create(
        dataset=world["dataset"], slug="risk-score", name="Risk", measure="score"
    )
    with pytest.raises(ParamError) as info:
        scan(ana, indicator="risk-score", use=Use.MAP, purpose=PURPOSE)
    assert info.value.parameter == "indicator"
    with pytest.raises(ParamError) as info:
        run(ana, level="custom")
    assert info.value.parameter == "level"
    with pytest.raises(ParamError) as info:
        run(ana, period="1999-01")
    assert info.value.parameter == "period"


def test_an_earlier_period_gives_no_control_judgement_with_too_little_history(world):
    share_population_with_police(world)
    result = run(world["paul"], period=MONTHS[3])
    assert result.period.code == MONTHS[3]
    assert result.n_history == 3
    assert "control" not in result.tests
    assert all(c.control is None for c in result.concerns)
