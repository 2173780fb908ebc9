"""The sweep costs one query with 5 open incidents as with 200."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Reminder, ReminderState
from incidents.reminders.send import reminders_claim
from tests.factories import promised

SYSTEM = Actor.system("test")


def _open(count: int) -> None:
    for n in range(count):
        lifecycle.incident_open(actor=SYSTEM, name=f"Incident {n}", body=promised("x"))


def _sweep_queries(now: object) -> tuple[int, int]:
    Reminder.objects.update(state=ReminderState.PENDING, claimed_at=None)
    with CaptureQueriesContext(connection) as captured:
        claimed = reminders_claim(now=now)  # type: ignore[arg-type]
    return len(captured), len(claimed)


def test_the_claim_sweep_issues_a_constant_number_of_queries(db: None) -> None:
    later = timezone.now() + timedelta(hours=1)  # every reminder is due by then
    _open(5)
    idle_few = _sweep_queries(timezone.now())
    due_few = _sweep_queries(later)
    _open(195)
    idle_many = _sweep_queries(timezone.now())
    due_many = _sweep_queries(later)
    # One statement selects (SKIP LOCKED) and marks, on PostgreSQL.
    assert idle_few == idle_many == (1, 0)
    assert due_few == (1, 5)
    assert due_many == (1, 200)
