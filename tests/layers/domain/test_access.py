"""The access decision: three parties (owner, recipient, outsider) and every refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from layers.domain.access import (
    AgreementStatus,
    DatasetRef,
    Decision,
    Grant,
    Membership,
    Reason,
    Role,
    Use,
    Viewer,
    decide,
)
from layers.domain.disclosure.policy import DisclosurePolicy, ZeroPolicy
from layers.domain.levels import KNOWN_LEVELS

LEVEL = {lv.slug: lv for lv in KNOWN_LEVELS}
POLICE, COUNCIL, HEALTH, OUTSIDER = 1, 2, 3, 4
CRIME = DatasetRef(id=10, owner_agency_id=POLICE)
OTHER_DATASET = DatasetRef(id=11, owner_agency_id=POLICE)
STARTS, ENDS = date(2025, 4, 1), date(2027, 3, 31)
TODAY = date(2026, 6, 1)
POLICY = DisclosurePolicy(min_count=10, round_to=5, min_denominator=100)


def viewer(agency: int, role: Role = Role.ANALYST, user: int = 100) -> Viewer:
    return Viewer(user_id=user, memberships=(Membership(agency, role),))


POLICE_ANALYST = viewer(POLICE)
COUNCIL_ANALYST = viewer(COUNCIL)
OUTSIDER_ANALYST = viewer(OUTSIDER)


def grant(**overrides: object) -> Grant:
    base = Grant(
        agreement_ref="ISA-2025-001",
        version=1,
        status=AgreementStatus.ACTIVE,
        starts_on=STARTS,
        ends_on=ENDS,
        recipient_agency_ids=frozenset({COUNCIL, HEALTH}),
        dataset_ids=frozenset({CRIME.id}),
        roles=frozenset({Role.ANALYST, Role.NEIGHBOURHOOD_MANAGER, Role.SERVICE}),
        uses=frozenset({Use.MAP, Use.API}),
        purposes=frozenset({"community_safety"}),
        finest_level=LEVEL["lsoa21"],
        policy=POLICY,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def ask(
    who: Viewer = COUNCIL_ANALYST,
    *,
    grants: list[Grant] | None = None,
    dataset: DatasetRef = CRIME,
    level: str = "lsoa21",
    use: Use = Use.MAP,
    purpose: str | None = "community_safety",
    on: date = TODAY,
) -> Decision:
    return decide(
        viewer=who,
        dataset=dataset,
        level=LEVEL[level],
        use=use,
        purpose=purpose,
        on=on,
        grants=[grant()] if grants is None else grants,
    )


def test_decide_lets_the_owning_agency_see_its_own_data_without_disclosure_control():
    decision = ask(POLICE_ANALYST, grants=[], level="oa21", purpose=None)
    assert decision == Decision(allowed=True, reason=Reason.OWN_AGENCY, agency_id=POLICE)
    assert not decision.disclosure_applies


def test_decide_grants_a_recipient_under_an_active_agreement_with_its_policy():
    decision = ask(COUNCIL_ANALYST)
    assert decision.allowed
    assert decision.reason is Reason.AGREEMENT
    assert decision.agreement_ref == "ISA-2025-001"
    assert decision.agreement_version == 1
    assert decision.policy == POLICY
    assert decision.agency_id == COUNCIL
    assert decision.disclosure_applies


def test_decide_refuses_an_outsider():
    assert ask(OUTSIDER_ANALYST) == Decision(allowed=False, reason=Reason.NO_AGREEMENT)


def test_decide_refuses_a_dataset_the_agreement_does_not_name():
    assert ask(dataset=OTHER_DATASET).reason is Reason.NO_AGREEMENT


@pytest.mark.parametrize(
    ("overrides", "kwargs", "reason"),
    [
        ({"status": AgreementStatus.DRAFT}, {}, Reason.AGREEMENT_DRAFT),
        ({"status": AgreementStatus.SUSPENDED}, {}, Reason.AGREEMENT_SUSPENDED),
        ({"status": AgreementStatus.EXPIRED}, {}, Reason.AGREEMENT_EXPIRED),
        ({"ends_on": date(2026, 5, 31)}, {}, Reason.AGREEMENT_EXPIRED),
        ({"starts_on": date(2026, 6, 2)}, {}, Reason.AGREEMENT_NOT_STARTED),
        ({"roles": frozenset({Role.NEIGHBOURHOOD_MANAGER})}, {}, Reason.ROLE_NOT_PERMITTED),
        ({}, {"use": Use.EXPORT}, Reason.USE_NOT_PERMITTED),
        ({}, {"purpose": None}, Reason.PURPOSE_NOT_STATED),
        ({}, {"purpose": "marketing"}, Reason.PURPOSE_NOT_PERMITTED),
        ({}, {"level": "oa21"}, Reason.LEVEL_TOO_FINE),
        ({"finest_level": LEVEL["msoa21"]}, {"level": "lsoa21"}, Reason.LEVEL_TOO_FINE),
    ],
)
def test_decide_refuses_with_its_reason(overrides, kwargs, reason):
    decision = ask(grants=[grant(**overrides)], **kwargs)
    assert decision == Decision(allowed=False, reason=reason)


@pytest.mark.parametrize("level", ["lsoa21", "lsoa11", "msoa21", "ward24", "lad24"])
def test_decide_allows_the_finest_level_and_any_coarser(level):
    assert ask(level=level).allowed


@pytest.mark.parametrize(
    ("on", "allowed"),
    [
        (date(2025, 3, 31), False),  # the day before the first
        (STARTS, True),  # the first day
        (ENDS, True),  # the last day
        (date(2027, 4, 1), False),  # the day after
    ],
)
def test_decide_date_edges(on, allowed):
    assert ask(on=on).allowed is allowed


def test_decide_refuses_a_role_the_agreement_does_not_list_even_for_a_recipient_agency():
    steward = viewer(COUNCIL, Role.DATA_STEWARD)
    assert ask(steward).reason is Reason.ROLE_NOT_PERMITTED


def test_decide_uses_any_membership_that_the_agreement_covers():
    both = Viewer(
        user_id=7,
        memberships=(Membership(OUTSIDER, Role.ANALYST), Membership(HEALTH, Role.SERVICE)),
    )
    decision = ask(both, use=Use.API)
    assert decision.allowed
    assert decision.agency_id == HEALTH


def test_decide_applies_the_strictest_policy_when_several_agreements_grant():
    lenient = grant(agreement_ref="ISA-A", policy=DisclosurePolicy(min_count=5, round_to=0))
    strict = grant(agreement_ref="ISA-Z", policy=DisclosurePolicy(min_count=10, round_to=5))
    for order in ([lenient, strict], [strict, lenient]):
        decision = ask(grants=order)
        assert decision.agreement_ref == "ISA-Z"
        assert decision.policy == strict.policy


def test_decide_breaks_a_tie_between_equal_policies_by_reference():
    first, second = grant(agreement_ref="ISA-B"), grant(agreement_ref="ISA-A")
    assert ask(grants=[first, second]).agreement_ref == "ISA-A"
    assert ask(grants=[second, first]).agreement_ref == "ISA-A"


def test_decide_grants_when_one_of_several_agreements_is_suspended():
    suspended = grant(agreement_ref="ISA-A", status=AgreementStatus.SUSPENDED)
    active = grant(agreement_ref="ISA-B")
    assert ask(grants=[suspended, active]).agreement_ref == "ISA-B"


def test_decide_reports_the_agreement_that_came_closest_when_all_refuse():
    expired = grant(agreement_ref="ISA-A", status=AgreementStatus.EXPIRED)
    coarse = grant(agreement_ref="ISA-B", finest_level=LEVEL["lad24"])
    assert ask(grants=[expired, coarse]).reason is Reason.LEVEL_TOO_FINE


def test_strictness_orders_policies_field_by_field():
    assert DisclosurePolicy(min_count=10).strictness() > DisclosurePolicy(min_count=5).strictness()
    zero_strict = DisclosurePolicy(zero_policy=ZeroPolicy.SUPPRESS)
    assert zero_strict.strictness() > DisclosurePolicy().strictness()


def test_policy_problems_name_the_field():
    assert DisclosurePolicy(min_count=-1, round_to=-5).problems() == [
        "min_count must be 0 or more, not -1",
        "round_to must be 0 (no rounding) or more, not -5",
    ]


@pytest.mark.parametrize(
    ("agency", "role", "publish", "read"),
    [
        (POLICE, Role.DATA_STEWARD, True, True),
        (POLICE, Role.SERVICE, True, True),
        (POLICE, Role.INFORMATION_MANAGER, False, True),
        (POLICE, Role.ANALYST, False, False),
        (COUNCIL, Role.DATA_STEWARD, False, False),  # a recipient never publishes
    ],
)
def test_may_publish_and_read_releases(agency, role, publish, read):
    from layers.domain.access import may_publish, may_read_releases

    who = viewer(agency, role)
    assert may_publish(who, CRIME) is publish
    assert may_read_releases(who, CRIME) is read
