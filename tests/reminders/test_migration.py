"""Incidents already open when the cadence is deployed get a promise and a reminder."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("incidents", "0010_cadence")]
AFTER = [("incidents", "0011_cadence_open_incidents")]


def test_an_open_incident_gets_its_promise_replayed_from_its_updates(
    transactional_db: None,
) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        _check_replay(executor)
    finally:
        # Back to every migration, later ones included, for the tests that follow: to
        # the leaves a new loader sees (the squash has gone from the graph while the files
        # it replaces are partly applied).
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _check_replay(executor: MigrationExecutor) -> None:
    old = executor.loader.project_state(BEFORE).apps
    now = timezone.now()
    opened = now - timedelta(minutes=40)
    incident = old.get_model("incidents", "Incident").objects.create(
        name="Old", status="identified", started_at=opened, created_at=opened, updated_at=now
    )
    update = old.get_model("incidents", "IncidentUpdate")
    for at in (opened, now - timedelta(minutes=12)):
        update.objects.create(
            incident=incident, status="identified", body="x", body_html="<p>x</p>",
            created_at=at, display_at=at,
        )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    # The models as of AFTER: today's have columns later migrations add.
    new = executor.loader.project_state(AFTER).apps
    migrated = new.get_model("incidents", "Incident").objects.get(pk=incident.pk)
    # Opened 40 minutes ago (due at -25), one follow-up 12 minutes ago: due 48 from now.
    assert migrated.next_update_due == now - timedelta(minutes=12) + timedelta(minutes=60)
    reminder = new.get_model("incidents", "Reminder").objects.get(incident=migrated)
    assert (reminder.kind, reminder.due_at) == ("update_due", migrated.next_update_due)
