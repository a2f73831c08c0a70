from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from layers import audit
from layers.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_update_is_refused_by_the_database():
    event = audit.record(action="test.read", n_returned=3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=event.id).update(n_returned=0)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE layers_auditevent SET action = 'x' WHERE id = %s", [event.id])
    assert AuditEvent.objects.get(id=event.id).n_returned == 3


def test_audit_delete_is_refused_by_the_database():
    event = audit.record(action="test.read")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=event.id).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE layers_auditevent")
    assert AuditEvent.objects.filter(id=event.id).exists()


def test_audit_record_carries_the_request_id():
    token = audit.current_request_id.set("req-123")
    try:
        event = audit.record(action="test.read")
    finally:
        audit.current_request_id.reset(token)
    assert event.request_id == "req-123"
