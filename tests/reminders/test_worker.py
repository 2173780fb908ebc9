"""A real Celery worker on the real Redis broker sends the reminders the beat sweep claims,
and killing it mid-way, restarting it, and duplicate sweeps never send one twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Reminder, ReminderState
from incidents.reminders.services import contact_save
from statuspage.celery import app
from tests.factories import promised
from tests.reminders.smtp_sink import Sink, smtp_sink

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/9"  # as tests/test_worker.py: a database no cache uses
QUEUE = f"test-reminders-{os.getpid()}"
INCIDENTS = 120

pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    with smtp_sink() as running:
        yield running


def _start_worker(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": BROKER,
        "CANDOR_CACHE_PREFIX": f"worker{os.getpid()}",
        # The sweep's sends go to this run's queue, which only this worker consumes.
        "CANDOR_CELERY_QUEUE": QUEUE,
        "CANDOR_SMTP_HOST": "127.0.0.1",
        "CANDOR_SMTP_PORT": str(port),
        "CANDOR_REMINDER_REQUEUE_SECONDS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "statuspage", "worker", "--pool=solo",
         "--without-heartbeat", "--without-mingle", "--without-gossip",
         "--loglevel=WARNING", "--queues", QUEUE],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.kill()
    worker.wait(timeout=15)


def _sweep() -> None:
    """What celery beat does every few seconds: queue the sweep."""
    app.send_task(
        "incidents.tasks.reminders_sweep",
        queue=QUEUE,
        connection=app.connection_for_write(BROKER),
    )


def _wait(
    condition: Callable[[], bool], worker: subprocess.Popen[bytes], *, every: float = 0.05
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"worker exited: {worker.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if condition():
            return
        time.sleep(every)
    pytest.fail("timed out waiting for the worker")


def _count(state: str) -> int:
    return Reminder.objects.filter(state=state).count()


def test_a_killed_and_restarted_worker_never_sends_a_reminder_twice(
    transactional_db: None, sink: tuple[Sink, int]
) -> None:
    messages, port = sink
    contact_save(actor=Actor.system("test"), name="Oscar", email="oscar@example.com", on_call=True)
    opened = timezone.now() - timedelta(minutes=20)  # every first update is overdue-ish now
    for n in range(INCIDENTS):
        lifecycle.incident_open(
            actor=Actor.system("test"),
            name=f"Outage {n:03d}",
            body=promised("Down.", now=opened),
            now=opened,
        )
    assert _count(ReminderState.PENDING) == INCIDENTS

    first = _start_worker(port)
    try:
        _sweep()
        _sweep()  # a second beat instance, at the same moment
        _wait(lambda: _count(ReminderState.SENT) >= 10, first, every=0.01)
        first.send_signal(signal.SIGKILL)  # mid-way: claims and queued sends are lost
        first.wait(timeout=15)
    finally:
        _stop(first)
    sent_before = _count(ReminderState.SENT)
    assert sent_before < INCIDENTS, "the worker finished before it could be killed"

    second = _start_worker(port)
    try:
        unsent = (ReminderState.PENDING, ReminderState.CLAIMED)

        def settled() -> bool:
            _sweep()
            return not Reminder.objects.filter(state__in=unsent).exists()

        _wait(settled, second, every=0.5)
        time.sleep(1)  # let any sweep still queued run: it must find nothing to send
    finally:
        _stop(second)

    sent = _count(ReminderState.SENT)
    interrupted = _count(ReminderState.SENDING)  # killed mid-send: never sent again
    assert sent + interrupted == INCIDENTS
    assert interrupted <= 1
    subjects = Counter(m["Subject"] for m in messages.messages)
    assert max(subjects.values()) == 1, subjects.most_common(3)
    assert len(messages.messages) >= sent
    late = Reminder.objects.filter(state=ReminderState.SENT).order_by("-sent_at").first()
    assert late is not None and late.lateness_seconds is not None
