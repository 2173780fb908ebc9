"""Two sweeps at once, and a task delivered twice, never send a reminder twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from django.core import mail
from django.db import connection
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Reminder, ReminderState
from incidents.reminders.send import reminder_send, reminders_claim
from incidents.reminders.services import contact_save
from tests.factories import promised

SYSTEM = Actor.system("test")
INCIDENTS = 60


def _due_reminders() -> int:
    contact_save(actor=SYSTEM, name="Oscar", email="oscar@example.com", on_call=True)
    long_ago = timezone.now() - timedelta(minutes=30)
    for n in range(INCIDENTS):
        lifecycle.incident_open(
            actor=SYSTEM, name=f"Outage {n}", body=promised("Down.", now=long_ago), now=long_ago
        )
    return Reminder.objects.filter(state=ReminderState.PENDING).count()


def test_two_concurrent_sweeps_claim_and_send_each_reminder_once(transactional_db: None) -> None:
    assert _due_reminders() == INCIDENTS
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def sweep(slot: int) -> None:
        try:
            barrier.wait()
            ids = reminders_claim(now=timezone.now())
            claimed[slot] = ids
            for reminder_id in ids:
                reminder_send(reminder_id)
                reminder_send(reminder_id)  # the same task delivered twice
        except BaseException as error:  # surfaced below; a thread would swallow it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == INCIDENTS
    assert Reminder.objects.filter(state=ReminderState.SENT).count() == INCIDENTS
    subjects = Counter(m.subject for m in mail.outbox)
    assert len(mail.outbox) == INCIDENTS
    assert max(subjects.values()) == 1
    assert reminders_claim(now=timezone.now()) == []  # nothing left to take


def test_a_claim_whose_task_was_lost_is_queued_again_and_sent_once(
    transactional_db: None,
) -> None:
    _due_reminders()
    now = timezone.now()
    first = reminders_claim(now=now)
    assert len(first) == INCIDENTS
    # The broker lost every task message: a minute later the next sweep takes them again.
    assert reminders_claim(now=now + timedelta(seconds=30)) == []
    again = reminders_claim(now=now + timedelta(seconds=61))
    assert sorted(again) == sorted(first)
    for reminder_id in first + again:
        reminder_send(reminder_id)
    assert len(mail.outbox) == INCIDENTS
