"""schemathesis against our own OpenAPI schema: for every operation, generated requests
(a bounded number, deterministic) from a recipient's token must give no 500, and every
response must match what the schema says (status, content type, body).

The data (the police's crime release, the council's agreement) is built once for the
module inside a transaction rolled back at its end, so each operation's test does not
publish it again.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from layers.models import Membership
from layers.tokens import issue_token
from portal.wsgi import application
from tests.builders import publish_crime, three_parties

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker, tmp_path_factory) -> Any:
    from django.conf import settings as django_settings

    # Requests go through the WSGI handler, which closes the connection at the end of each
    # request; Django's own test client stops that the same way, so the transaction the
    # data lives in survives.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    store = tmp_path_factory.mktemp("store")
    previous = django_settings.FILE_STORE
    django_settings.FILE_STORE = store
    with django_db_blocker.unblock(), transaction.atomic():
        parties = three_parties()
        parties.update(publish_crime(parties, tmp_path_factory.mktemp("files")))
        user = parties["council_analyst"]
        Membership.objects.filter(user=user).update(default_purpose="community_safety")
        token, _ = issue_token(user, days=1)
        yield {"token": token, **parties}
        transaction.set_rollback(True)
    django_settings.FILE_STORE = previous
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loaded when the module is collected: the schema view reads no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@schema.parametrize()
@settings(
    max_examples=12,  # per operation; with real path parameters each asks twice
    deadline=None,
    derandomize=True,  # the same examples every run
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_no_server_errors_and_every_response_as_documented(case: Any, api_world: Any) -> None:
    # identity: the WSGI test client does not undo our gzip.
    headers = {"Authorization": f"Token {api_world['token']}", "Accept-Encoding": "identity"}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS)
    if case.path_parameters:
        # Generated ids and slugs almost never name real things; ask again with the
        # generated query and body but real path parameters, so the handlers that read
        # figures are exercised too.
        known = {
            "slug": "recorded-crime" if case.path.startswith("/api/v1/datasets/") else "burglary",
            "code": api_world["secret_code"],
            "release_id": api_world["release"].id,
        }
        case.path_parameters = {k: known.get(k, v) for k, v in case.path_parameters.items()}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
