"""A window that runs past its scheduled end: the page says so and promises the next
update on the incidents' 15/60/120 cadence; staff are reminded once per promise."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from incidents import lifecycle, tasks, wording
from incidents.audit import Actor
from incidents.models import AuditEvent, Maintenance, Reminder, ReminderKind, ReminderState
from incidents.public.cache import public_changed
from tests.factories import ComponentFactory
from tests.reminders.conftest import T0, People

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

SYSTEM = Actor.system("test")
START, END = T0 + timedelta(hours=1), T0 + timedelta(hours=2)


def _at(clock: time_machine.Coordinates, when: timedelta) -> None:
    clock.move_to(END + when)


def _reminded(clock: time_machine.Coordinates, when: timedelta) -> list[mail.EmailMessage]:
    """The staff emails two reminder sweeps send at END + when."""
    _at(clock, when)
    before = len(mail.outbox)
    tasks.reminders_sweep()
    tasks.reminders_sweep()  # a second beat finds nothing left to send
    return [m for m in mail.outbox[before:] if "overran" in m.subject]


def _words(maintenance: Maintenance, status: str) -> str:
    words = lifecycle.maintenance_words(maintenance, phase=wording.maintenance_phase(status))
    assert words is not None
    return words


def _page(maintenance: Maintenance) -> str:
    public_changed()  # as each write's commit does (this test's transaction never commits)
    return (
        Client().get(reverse("public:maintenance", args=[maintenance.public_id])).content.decode()
    )


def test_an_overrunning_window_promises_updates_and_reminds_staff_once_per_step(
    people: People, clock: time_machine.Coordinates
) -> None:
    maintenance = lifecycle.maintenance_schedule(
        actor=SYSTEM,
        name="Database upgrade",
        body="Upgrading.",
        scheduled_for=START,
        scheduled_until=END,
        components=[ComponentFactory(name="Database")],
        auto_complete=False,
    )
    _at(clock, -timedelta(minutes=30))
    tasks.maintenance_sweep()
    assert "Expected to end by <time" in _page(maintenance)
    assert "14:00 UTC" in _page(maintenance)

    # Past the end: two sweeps note the overrun once; the page promises END + 15 minutes.
    _at(clock, timedelta(seconds=20))
    assert tasks.maintenance_sweep() == {"started": 0, "completed": 0, "overran": 1}
    assert tasks.maintenance_sweep() == {"started": 0, "completed": 0}
    maintenance.refresh_from_db()
    assert maintenance.next_update_due == END + timedelta(minutes=15)
    page = _page(maintenance)
    assert "Running longer than planned &mdash; next update by" in page
    assert "14:15 UTC" in page and "Expected to end by" not in page
    assert AuditEvent.objects.filter(action="maintenance.overran").count() == 1

    # The staff reminder comes the lead time (5 minutes) before the promise, once.
    assert _reminded(clock, timedelta(minutes=9)) == []
    [first] = _reminded(clock, timedelta(minutes=10))
    assert first.to == ["oscar@example.com"]
    assert "update by 14:15 UTC" in first.body
    assert _reminded(clock, timedelta(minutes=14)) == []

    # An update at END + 12 moves the promise 60 minutes on, as an incident's second does.
    _at(clock, timedelta(minutes=12))
    lifecycle.maintenance_update_post(
        actor=SYSTEM,
        maintenance=maintenance,
        body=_words(maintenance, "in_progress"),
        status="in_progress",
    )
    maintenance.refresh_from_db()
    assert maintenance.next_update_due == END + timedelta(minutes=72)
    assert "15:12 UTC" in _page(maintenance)
    assert _reminded(clock, timedelta(minutes=66)) == []
    [second] = _reminded(clock, timedelta(minutes=67))
    assert "update by 15:12 UTC" in second.body

    # The third promise is 120 minutes after the next update.
    _at(clock, timedelta(minutes=70))
    lifecycle.maintenance_update_post(
        actor=SYSTEM,
        maintenance=maintenance,
        body=_words(maintenance, "verifying"),
        status="verifying",
    )
    maintenance.refresh_from_db()
    assert maintenance.next_update_due == END + timedelta(minutes=190)

    # Completing it ends the promise and cancels what was still owed.
    _at(clock, timedelta(minutes=80))
    lifecycle.maintenance_update_post(
        actor=SYSTEM,
        maintenance=maintenance,
        body=_words(maintenance, "completed"),
        status="completed",
    )
    maintenance.refresh_from_db()
    assert maintenance.next_update_due is None
    assert "Running longer" not in _page(maintenance)
    assert _reminded(clock, timedelta(minutes=190)) == []
    overruns = Reminder.objects.filter(kind=ReminderKind.MAINTENANCE_OVERRUN)
    assert overruns.filter(state=ReminderState.SENT).count() == 2
    assert not overruns.filter(state=ReminderState.PENDING).exists()
