from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from layers.models import ApiToken
from layers.tokens import TokenRefused, issue_token, revoke_token, user_for_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed():
    return User.objects.create_user("feed")


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
    from layers.models import AuditEvent, Membership
    from tests.builders import make_agency

    council = make_agency()
    Membership.objects.create(user=feed, agency=council, role="service")
    raw, token = issue_token(feed, days=30)
    issued = AuditEvent.objects.get(action="token.issued")
    assert issued.detail["for"] == "feed" and issued.detail["prefix"] == token.prefix
    assert issued.agency_id == council.id
    assert raw not in str(issued.detail)  # the token itself is never written down
    revoke_token(token.prefix)
    revoked = AuditEvent.objects.get(action="token.revoked")
    assert revoked.detail == {"for": "feed", "prefix": token.prefix}
    assert revoked.agency_id == council.id
    assert revoke_token(token.prefix) == 0  # nothing live: nothing revoked, nothing recorded
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1
