from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from layers.models import ApiToken, Membership
from layers.tokens import TokenRefused, TokenScopeError, issue_token, revoke_token, user_for_token
from tests.builders import make_agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed():
    user = User.objects.create_user("feed")
    Membership.objects.create(user=user, agency=make_agency(), role="service")
    return user


def test_issue_token_prints_a_token_that_is_stored_only_as_a_hash(feed):
    out, err = StringIO(), StringIO()
    call_command("issue_token", "feed", "--expires", "30", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("cg_") and len(raw) > 40
    token = ApiToken.objects.get(user=feed)
    assert raw not in (token.digest, token.prefix) and token.digest != raw
    assert raw.startswith(token.prefix)
    assert user_for_token(raw) == feed
    assert timezone.now() + timedelta(days=29) < token.expires_at
    assert "expires" in err.getvalue()


def test_expired_token_is_refused(feed):
    raw, token = issue_token(feed, days=1)
    ApiToken.objects.filter(id=token.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TokenRefused, match="token_expired"):
        user_for_token(raw)


def test_revoked_token_is_refused(feed):
    raw, token = issue_token(feed, days=None)
    assert revoke_token(token.prefix) == 1
    with pytest.raises(TokenRefused, match="token_revoked"):
        user_for_token(raw)


def test_unknown_and_empty_tokens_are_refused(feed):
    issue_token(feed, days=None)
    for raw in ("cg_not-a-real-token", ""):
        with pytest.raises(TokenRefused, match="token_unknown"):
            user_for_token(raw)


def test_token_of_an_inactive_user_is_refused(feed):
    raw, _ = issue_token(feed, days=None)
    feed.is_active = False
    feed.save()
    with pytest.raises(TokenRefused, match="user_inactive"):
        user_for_token(raw)


def test_issue_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="no user 'ghost'"):
        call_command("issue_token", "ghost", stdout=StringIO())


def test_revoke_token_command_refuses_an_unknown_prefix():
    with pytest.raises(CommandError, match="no live token"):
        call_command("revoke_token", "cg_nothing", stdout=StringIO())


def test_issuing_and_revoking_a_token_are_audited_under_the_users_agency(feed):
    from layers.models import AuditEvent

    council = make_agency()
    raw, token = issue_token(feed, days=30)
    issued = AuditEvent.objects.get(action="token.issued")
    assert issued.detail["for"] == "feed" and issued.detail["prefix"] == token.prefix
    assert issued.detail["agency"] == council.slug
    assert issued.agency_id == council.id
    assert raw not in str(issued.detail)  # the token itself is never written down
    revoke_token(token.prefix)
    revoked = AuditEvent.objects.get(action="token.revoked")
    assert revoked.detail == {"for": "feed", "prefix": token.prefix}
    assert revoked.agency_id == council.id
    assert revoke_token(token.prefix) == 0  # nothing live: nothing revoked, nothing recorded
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_a_token_acts_for_the_users_only_agency_by_default(feed):
    raw, token = issue_token(feed, days=None)
    assert token.agency == make_agency()
    assert user_for_token(raw).token_agency_id == token.agency_id


def test_a_user_of_several_agencies_must_name_the_one_the_token_acts_for(feed):
    fire = make_agency(slug="fire-rescue", name="Fire", kind="fire")
    Membership.objects.create(user=feed, agency=fire, role="service")
    with pytest.raises(TokenScopeError, match=r"several agencies \(city-council, fire-rescue\)"):
        issue_token(feed, days=None)
    with pytest.raises(CommandError, match="several agencies"):
        call_command("issue_token", "feed", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(TokenScopeError, match="not a member of 'city-police'"):
        issue_token(feed, days=None, agency="city-police")
    err = StringIO()
    call_command("issue_token", "feed", "--agency", "fire-rescue", stdout=StringIO(), stderr=err)
    assert "acting for fire-rescue" in err.getvalue()
    assert ApiToken.objects.get(user=feed).agency == fire
    assert not ApiToken.objects.filter(user=feed).exclude(agency=fire).exists()


def test_a_user_of_no_agency_gets_no_token():
    loner = User.objects.create_user("loner")
    with pytest.raises(TokenScopeError, match="belongs to no agency"):
        issue_token(loner, days=None)
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_its_user_leaves_the_agency(feed):
    raw, _ = issue_token(feed, days=None)
    Membership.objects.filter(user=feed).delete()
    with pytest.raises(TokenRefused, match="token_agency_left"):
        user_for_token(raw)


def test_a_token_issued_before_scoping_is_refused(feed):
    raw, token = issue_token(feed, days=None)
    ApiToken.objects.filter(id=token.id).update(agency=None)
    with pytest.raises(TokenRefused, match="token_unscoped"):
        user_for_token(raw)
