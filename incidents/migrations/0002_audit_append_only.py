"""On PostgreSQL, refuse UPDATE and DELETE on the audit log for everyone, raw SQL included."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION candor_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_auditevent_append_only
    BEFORE UPDATE OR DELETE ON incidents_auditevent
    FOR EACH ROW EXECUTE FUNCTION candor_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS incidents_auditevent_append_only ON incidents_auditevent;
DROP FUNCTION IF EXISTS candor_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
