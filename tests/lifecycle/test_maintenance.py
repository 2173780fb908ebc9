from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents import lifecycle, tasks
from incidents.audit import Actor
from incidents.models import AuditEvent, Component, Maintenance
from tests.factories import ComponentFactory, promised

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def _schedule(actor: Actor, *components: Component, **kwargs: object) -> Maintenance:
    with time_machine.travel(START - timedelta(days=1), tick=False):
        return lifecycle.maintenance_schedule(
            actor=actor,
            name="Database upgrade",
            body="Upgrading PostgreSQL.",
            scheduled_for=START,
            scheduled_until=END,
            components=components,
            **kwargs,  # type: ignore[arg-type]
        )


def _status(component: Component) -> str:
    return Component.objects.get(pk=component.pk).status


def test_the_beat_sweep_starts_and_completes_a_window_on_time(actor: Actor) -> None:
    db = ComponentFactory()
    maintenance = _schedule(actor, db)

    with time_machine.travel(START - timedelta(seconds=1), tick=False):
        assert tasks.maintenance_sweep() == {"started": 0, "completed": 0}
    assert _status(db) == "operational"

    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        assert tasks.maintenance_sweep() == {"started": 1, "completed": 0}
        assert tasks.maintenance_sweep() == {"started": 0, "completed": 0}  # idempotent
    maintenance.refresh_from_db()
    assert maintenance.status == "in_progress"
    assert _status(db) == "under_maintenance"

    with time_machine.travel(END + timedelta(seconds=5), tick=False):
        assert tasks.maintenance_sweep() == {"started": 0, "completed": 1}
    maintenance.refresh_from_db()
    assert maintenance.status == "completed"
    assert _status(db) == "operational"
    labels = set(AuditEvent.objects.values_list("actor_label", flat=True))
    assert labels == {"rita", "system:beat"}


def test_an_outage_during_maintenance_is_shown_as_the_outage(actor: Actor) -> None:
    db = ComponentFactory()
    maintenance = _schedule(actor, db, auto_start=False)
    with time_machine.travel(START, tick=False):
        lifecycle.maintenance_update_post(
            actor=actor, maintenance=maintenance, body="Starting.", status="in_progress"
        )
        incident = lifecycle.incident_open(
            actor=actor,
            name="Upgrade failed",
            body=promised("Rolling back."),
            components={db: "major_outage"},
        )
        assert _status(db) == "major_outage"
        lifecycle.incident_resolve(actor=actor, incident=incident, body="Rolled back.")
        assert _status(db) == "under_maintenance"


def test_windows_that_opted_out_are_left_to_staff(actor: Actor) -> None:
    db = ComponentFactory()
    _schedule(actor, db, auto_start=False, auto_complete=False)
    with time_machine.travel(END + timedelta(hours=1), tick=False):
        assert tasks.maintenance_sweep() == {"started": 0, "completed": 0}


def test_maintenance_only_moves_forward(actor: Actor) -> None:
    maintenance = _schedule(actor)
    with time_machine.travel(START, tick=False):
        lifecycle.maintenance_update_post(
            actor=actor, maintenance=maintenance, body="Done early.", status="completed"
        )
        with pytest.raises(ValidationError) as caught:
            lifecycle.maintenance_update_post(
                actor=actor, maintenance=maintenance, body="Again.", status="in_progress"
            )
    assert "status" in caught.value.message_dict
    assert AuditEvent.objects.filter(action="maintenance.cancelled").count() == 1


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (START, START, "scheduled_until"),
        (END, START, "scheduled_until"),
        (START - timedelta(days=3), START - timedelta(days=2), "scheduled_until"),
    ],
)
def test_a_window_that_ends_before_it_starts_or_is_over_is_refused(
    actor: Actor, start: datetime, end: datetime, field: str
) -> None:
    with (
        time_machine.travel(START - timedelta(days=1), tick=False),
        pytest.raises(ValidationError) as caught,
    ):
        lifecycle.maintenance_schedule(
            actor=actor, name="X", body="Y", scheduled_for=start, scheduled_until=end
        )
    assert caught.value.message_dict[field]
    assert not Maintenance.objects.exists()
