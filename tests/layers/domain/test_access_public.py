"""The public decision: only an active, in-date agreement with the use `public` for the
dataset publishes it, at its finest level or coarser, under its own policy; and a
`public` grant gives no partner anything."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from layers.domain.access import (
    PARTNER_USES,
    AgreementStatus,
    DatasetRef,
    Grant,
    Membership,
    Reason,
    Role,
    Use,
    Viewer,
    decide,
    decide_public,
    permissions,
    public_terms_problems,
)
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.levels import KNOWN_LEVELS

LEVEL = {lv.slug: lv for lv in KNOWN_LEVELS}
POLICE, COUNCIL = 1, 2
CRIME = DatasetRef(id=10, owner_agency_id=POLICE)
IMD = DatasetRef(id=11, owner_agency_id=COUNCIL)
STARTS, ENDS = date(2025, 4, 1), date(2027, 3, 31)
TODAY = date(2026, 6, 1)
PUBLIC_POLICY = DisclosurePolicy(min_count=10, round_to=10, min_denominator=100)
PARTNER_POLICY = DisclosurePolicy(min_count=5, round_to=0, min_denominator=100)


def public_grant(**overrides: object) -> Grant:
    base = Grant(
        agreement_ref="ISA-2025-003",
        version=1,
        status=AgreementStatus.ACTIVE,
        starts_on=STARTS,
        ends_on=ENDS,
        recipient_agency_ids=frozenset(),
        dataset_ids=frozenset({CRIME.id}),
        roles=frozenset(),
        uses=frozenset({Use.PUBLIC}),
        purposes=frozenset({"informing_the_public"}),
        finest_level=LEVEL["msoa21"],
        policy=PUBLIC_POLICY,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def partner_grant(**overrides: object) -> Grant:
    base = public_grant(
        agreement_ref="ISA-2025-001",
        recipient_agency_ids=frozenset({COUNCIL}),
        roles=frozenset({Role.ANALYST}),
        uses=frozenset({Use.MAP, Use.API, Use.EXPORT}),
        purposes=frozenset({"community_safety"}),
        finest_level=LEVEL["lsoa21"],
        policy=PARTNER_POLICY,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def public(level: str = "msoa21", *grants: Grant, dataset: DatasetRef = CRIME, on: date = TODAY):
    return decide_public(dataset=dataset, level=LEVEL[level], on=on, grants=grants)


def test_decide_public_allows_under_an_active_public_agreement_with_its_policy() -> None:
    decision = public("msoa21", public_grant())
    assert decision.allowed
    assert decision.reason is Reason.PUBLIC_AGREEMENT
    assert (decision.agreement_ref, decision.agreement_version) == ("ISA-2025-003", 1)
    assert decision.policy == PUBLIC_POLICY
    assert decision.disclosure_applies
    assert decision.agency_id is None
    assert decision.finest_level == LEVEL["msoa21"]


def test_decide_public_allows_a_coarser_level_than_the_finest() -> None:
    assert public("lad24", public_grant()).allowed


def test_decide_public_refuses_without_any_agreement() -> None:
    assert public("msoa21").reason is Reason.NO_AGREEMENT
    other_dataset = public("msoa21", public_grant(), dataset=IMD)
    assert not other_dataset.allowed
    assert other_dataset.reason is Reason.NO_AGREEMENT


def test_decide_public_refuses_an_agreement_without_the_use_public() -> None:
    decision = public("msoa21", partner_grant(finest_level=LEVEL["msoa21"]))
    assert not decision.allowed
    assert decision.reason is Reason.USE_NOT_PERMITTED


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"status": AgreementStatus.SUSPENDED}, Reason.AGREEMENT_SUSPENDED),
        ({"status": AgreementStatus.EXPIRED}, Reason.AGREEMENT_EXPIRED),
        ({"status": AgreementStatus.DRAFT}, Reason.AGREEMENT_DRAFT),
        ({"ends_on": date(2026, 5, 31)}, Reason.AGREEMENT_EXPIRED),
        ({"starts_on": date(2026, 6, 2)}, Reason.AGREEMENT_NOT_STARTED),
    ],
)
def test_decide_public_refuses_when_agreement_is_not_in_force(
    overrides: dict[str, object], reason: Reason
) -> None:
    decision = public("msoa21", public_grant(**overrides))
    assert not decision.allowed
    assert decision.reason is reason


def test_decide_public_includes_first_and_last_day() -> None:
    assert public("msoa21", public_grant(), on=STARTS).allowed
    assert public("msoa21", public_grant(), on=ENDS).allowed


def test_decide_public_refuses_a_level_finer_than_the_agreement_allows() -> None:
    decision = public("lsoa21", public_grant())
    assert not decision.allowed
    assert decision.reason is Reason.LEVEL_TOO_FINE


def test_decide_public_takes_the_strictest_of_several_public_agreements() -> None:
    looser = public_grant(agreement_ref="ISA-2025-009", policy=PARTNER_POLICY)
    decision = public("msoa21", looser, public_grant())
    assert decision.agreement_ref == "ISA-2025-003"
    assert decision.policy == PUBLIC_POLICY


def test_decide_public_names_the_closest_refusal() -> None:
    decision = public(
        "lsoa21", public_grant(), public_grant(agreement_ref="X", status=AgreementStatus.SUSPENDED)
    )
    assert decision.reason is Reason.LEVEL_TOO_FINE


def test_decide_refuses_to_decide_the_use_public_for_a_viewer() -> None:
    owner = Viewer(user_id=1, memberships=(Membership(POLICE, Role.ANALYST),))
    with pytest.raises(ValueError, match="decide_public"):
        decide(
            viewer=owner,
            dataset=CRIME,
            level=LEVEL["msoa21"],
            use=Use.PUBLIC,
            purpose=None,
            on=TODAY,
            grants=[public_grant()],
        )


@pytest.mark.parametrize("use", sorted(PARTNER_USES))
def test_public_grant_gives_a_partner_no_map_api_or_export(use: Use) -> None:
    # Even an agreement wrongly naming the council as a recipient grants only `public`.
    council = Viewer(user_id=2, memberships=(Membership(COUNCIL, Role.ANALYST),))
    grant = public_grant(recipient_agency_ids=frozenset({COUNCIL}), roles=frozenset({Role.ANALYST}))
    decision = decide(
        viewer=council,
        dataset=CRIME,
        level=LEVEL["msoa21"],
        use=use,
        purpose="informing_the_public",
        on=TODAY,
        grants=[grant],
    )
    assert not decision.allowed
    assert decision.reason is Reason.USE_NOT_PERMITTED
    assert permissions(viewer=council, dataset=CRIME, on=TODAY, grants=[grant]) == []


def test_partner_decisions_unchanged_next_to_a_public_agreement() -> None:
    council = Viewer(user_id=2, memberships=(Membership(COUNCIL, Role.ANALYST),))
    decision = decide(
        viewer=council,
        dataset=CRIME,
        level=LEVEL["lsoa21"],
        use=Use.MAP,
        purpose="community_safety",
        on=TODAY,
        grants=[partner_grant(), public_grant()],
    )
    assert decision.allowed
    assert decision.reason is Reason.AGREEMENT
    assert decision.policy == PARTNER_POLICY
    listed = permissions(
        viewer=council, dataset=CRIME, on=TODAY, grants=[partner_grant(), public_grant()]
    )
    assert [p.agreement_ref for p in listed] == ["ISA-2025-001"]
    assert Use.PUBLIC not in listed[0].uses


def test_owner_permissions_never_list_the_use_public() -> None:
    owner = Viewer(user_id=1, memberships=(Membership(POLICE, Role.ANALYST),))
    (own,) = permissions(viewer=owner, dataset=CRIME, on=TODAY, grants=[])
    assert own.uses == PARTNER_USES


def test_public_terms_problems() -> None:
    assert public_terms_problems(uses=["public"], recipients=[], roles=[]) == {}
    assert set(
        public_terms_problems(uses=["public", "map"], recipients=["council"], roles=["analyst"])
    ) == {
        "uses",
        "recipients",
        "roles",
    }
    assert public_terms_problems(uses=["map"], recipients=["council"], roles=["analyst"]) == {}
    assert set(public_terms_problems(uses=["map"], recipients=[], roles=[])) == {
        "recipients",
        "roles",
    }


def test_policy_in_plain_words() -> None:
    words = DisclosurePolicy(min_count=10, round_to=5, min_denominator=100).in_plain_words()
    assert words.startswith("Counts below 10 are not shown; others are rounded to the nearest 5.")
    assert "fewer than 100 people" in words
    bare = DisclosurePolicy(min_count=0, round_to=0, min_denominator=0, secondary=False)
    assert bare.in_plain_words() == "Counts are shown as they are."
