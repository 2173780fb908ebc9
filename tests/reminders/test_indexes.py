"""The reminder table keeps the indexes something uses, and those serve its lookups.

Every claim of the sweep rewrites its rows' index entries: the plain indexes of
`incident_id` and `maintenance_id` (the partial unique ones start with the same column)
and the LIKE index of `public_id` (nothing searches it by prefix) were dropped.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Reminder
from tests.factories import promised

pytestmark = pytest.mark.django_db

EXPECTED = {
    "incidents_reminder_pkey",
    "reminder_public_id_unique",
    "reminder_incident_unique",
    "reminder_maintenance_unique",
    "reminder_pending",
    "reminder_claimed",
}


def _plan(sql: str, params: list[object]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask what it could use
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's catalogue")
def test_only_the_indexes_in_use_remain_and_they_serve_the_lookups() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'incidents_reminder'")
        assert {row[0] for row in cursor.fetchall()} == EXPECTED
    incident = lifecycle.incident_open(actor=Actor.system("test"), name="Index", body=promised("x"))
    # The cascade of a deleted incident and the reminders of one incident.
    plan = _plan("SELECT id FROM incidents_reminder WHERE incident_id = %s", [incident.pk])
    assert "reminder_incident_unique" in plan, plan
    plan = _plan("SELECT id FROM incidents_reminder WHERE maintenance_id = %s", [1])
    assert "reminder_maintenance_unique" in plan, plan
    plan = _plan("SELECT id FROM incidents_reminder WHERE public_id = %s", ["abc"])
    assert "reminder_public_id_unique" in plan, plan


def test_a_public_id_is_still_unique() -> None:
    incident = lifecycle.incident_open(
        actor=Actor.system("test"), name="Unique", body=promised("x")
    )
    first = Reminder.objects.filter(incident=incident).first()
    assert first is not None
    second = Reminder.objects.get(pk=first.pk)
    second.pk, second.level = None, 7
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
