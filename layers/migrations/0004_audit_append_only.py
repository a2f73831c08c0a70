"""The audit trail is append-only in the database itself, not just by convention:
a trigger refuses UPDATE and DELETE (and TRUNCATE) on layers_auditevent."""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE FUNCTION layers_auditevent_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on layers_auditevent refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER layers_auditevent_append_only
    BEFORE UPDATE OR DELETE ON layers_auditevent
    FOR EACH ROW EXECUTE FUNCTION layers_auditevent_refuse_change();
CREATE TRIGGER layers_auditevent_no_truncate
    BEFORE TRUNCATE ON layers_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION layers_auditevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS layers_auditevent_no_truncate ON layers_auditevent;
DROP TRIGGER IF EXISTS layers_auditevent_append_only ON layers_auditevent;
DROP FUNCTION IF EXISTS layers_auditevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0003_agencies_datasets_agreements_audit")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
