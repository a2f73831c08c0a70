"""The access gate through the database: the grants a viewer gets are the current
versions of real agreements, and every refusal is audited."""

from __future__ import annotations

import pytest

from layers.agreements import suspend_agreement
from layers.domain.access import Reason, Use
from layers.models import AuditEvent, GeographyLevel
from layers.read import AccessRefused, decide_access
from tests.builders import make_member, three_parties

pytestmark = pytest.mark.django_db

LSOA = "lsoa11"


@pytest.fixture
def world():
    return three_parties()


def level(slug: str = LSOA) -> GeographyLevel:
    return GeographyLevel.objects.get(slug=slug)


def test_owner_recipient_and_outsider_through_the_database(world):
    owner = make_member("paul", world["police"], "analyst")
    outsider = make_member("fred", world["fire"], "analyst")
    assert (
        decide_access(owner, world["dataset"], level("oa11"), use=Use.API, purpose=None).reason
        is Reason.OWN_AGENCY
    )
    granted = decide_access(
        world["council_analyst"], world["dataset"], level(), use=Use.MAP, purpose="community_safety"
    )
    assert granted.agreement_ref == "ISA-2025-001" and granted.policy.min_count == 10
    with pytest.raises(AccessRefused) as info:
        decide_access(outsider, world["dataset"], level(), use=Use.MAP, purpose="community_safety")
    assert info.value.decision.reason is Reason.NO_AGREEMENT
    event = AuditEvent.objects.get(action="access.refused")
    assert (event.username, event.outcome, event.level) == ("fred", "no_agreement", LSOA)


def test_suspending_an_agreement_refuses_at_once(world):
    suspend_agreement(world["agreement"], reason="review", acting_user=world["police_im"])
    with pytest.raises(AccessRefused) as info:
        decide_access(
            world["council_analyst"],
            world["dataset"],
            level(),
            use=Use.MAP,
            purpose="community_safety",
        )
    assert info.value.decision.reason is Reason.AGREEMENT_SUSPENDED


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"use": Use.MAP, "purpose": "marketing"}, Reason.PURPOSE_NOT_PERMITTED),
        ({"use": Use.MAP, "purpose": None}, Reason.PURPOSE_NOT_STATED),
        ({"use": Use.MAP, "purpose": "community_safety", "slug": "oa11"}, Reason.LEVEL_TOO_FINE),
    ],
)
def test_refusals_through_the_database_carry_their_reason(world, kwargs, reason):
    slug = kwargs.pop("slug", LSOA)
    with pytest.raises(AccessRefused) as info:
        decide_access(world["council_analyst"], world["dataset"], level(slug), **kwargs)
    assert info.value.decision.reason is reason
    assert AuditEvent.objects.filter(action="access.refused", outcome=reason.value).exists()


def test_wrong_role_is_refused(world):
    steward = make_member("steve", world["council"], "data_steward")
    with pytest.raises(AccessRefused) as info:
        decide_access(steward, world["dataset"], level(), use=Use.MAP, purpose="community_safety")
    assert info.value.decision.reason is Reason.ROLE_NOT_PERMITTED
