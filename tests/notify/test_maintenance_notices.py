"""Subscribers and a maintenance window, through a real SMTP server: the announcement,
a reminder before it starts, and notices when it starts and completes, each once and
each optional per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from incidents import lifecycle, tasks
from incidents.audit import Actor
from incidents.models import Maintenance, MaintenanceUpdate
from tests.factories import ComponentFactory
from tests.notify.conftest import SubscriberChannel, subscriber
from tests.notify.peers import SmtpSink

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

ACTOR = Actor.system("test")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
START, END = T0 + timedelta(hours=3), T0 + timedelta(hours=4)


def _schedule(**notify: Any) -> Maintenance:
    database = ComponentFactory(name="Database")
    subscriber(SubscriberChannel.EMAIL, "dba@example.com", components=[database.pk])
    subscriber(SubscriberChannel.EMAIL, "all@example.com")
    subscriber(SubscriberChannel.EMAIL, "web@example.com", components=[ComponentFactory().pk])
    return lifecycle.maintenance_schedule(
        actor=ACTOR, name="Database upgrade", body="Upgrading PostgreSQL.",
        components=[database], scheduled_for=START, scheduled_until=END, **notify,
    )  # fmt: skip


def _sweep_twice(at: datetime, capture: Any) -> None:
    """Two beats at the same moment, as after a restart: each window moves once."""
    with time_machine.travel(at, tick=False), capture(execute=True):
        tasks.maintenance_sweep()
        tasks.maintenance_sweep()


def _subjects(smtp: SmtpSink, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.to(address)]


def test_subscribers_are_reminded_before_and_told_at_start_and_end_exactly_once(
    smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        maintenance = _schedule(notify_prior_minutes=60)
    for at in (START - timedelta(minutes=61), START - timedelta(minutes=60),
               START - timedelta(minutes=1), START, START + timedelta(minutes=1), END,
               END + timedelta(minutes=30)):  # fmt: skip
        _sweep_twice(at, django_capture_on_commit_callbacks)

    expected = [
        "[Candor Demo] Database upgrade: Scheduled",
        "[Candor Demo] Database upgrade: Reminder: starts 2026-11-23 15:00 UTC",
        "[Candor Demo] Database upgrade: In progress",
        "[Candor Demo] Database upgrade: Completed",
    ]
    assert _subjects(smtp, "dba@example.com") == expected
    assert _subjects(smtp, "all@example.com") == expected
    assert _subjects(smtp, "web@example.com") == []
    reminder = smtp.to("dba@example.com")[1].get_payload()
    assert "Upgrading PostgreSQL." in reminder
    maintenance.refresh_from_db()
    assert maintenance.prior_notice_at == START - timedelta(minutes=60)
    # The reminder went to subscribers; it is not an update of the page.
    assert maintenance.updates.filter(reminder=True).count() == 1


def test_a_second_sweeper_with_a_stale_view_sends_no_second_reminder(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False):
        maintenance = _schedule(notify_prior_minutes=30)
    stale = Maintenance.objects.get(pk=maintenance.pk)  # read before the first sweep
    at = START - timedelta(minutes=20)
    first = lifecycle.maintenance_remind_subscribers(maintenance=maintenance, now=at)
    second = lifecycle.maintenance_remind_subscribers(maintenance=stale, now=at)
    assert first is not None and second is None
    assert MaintenanceUpdate.objects.filter(reminder=True).count() == 1


def test_start_and_end_notices_and_the_reminder_are_each_optional(
    smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        maintenance = _schedule(notify_start=False, notify_end=False)
    for at in (START - timedelta(minutes=60), START, END):
        _sweep_twice(at, django_capture_on_commit_callbacks)
    maintenance.refresh_from_db()
    assert maintenance.status == "completed"  # it ran, and the page says so
    assert _subjects(smtp, "dba@example.com") == ["[Candor Demo] Database upgrade: Scheduled"]


def test_a_reminder_whose_moment_passed_before_scheduling_is_not_sent(
    smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    late = START - timedelta(minutes=10)
    with time_machine.travel(late, tick=False), django_capture_on_commit_callbacks(execute=True):
        maintenance = _schedule(notify_prior_minutes=60)
    assert maintenance.prior_notice_due is None
    _sweep_twice(START - timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert _subjects(smtp, "dba@example.com") == ["[Candor Demo] Database upgrade: Scheduled"]


def test_a_cancellation_is_told_whatever_the_end_notice_choice(
    smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        maintenance = _schedule(notify_end=False)
        words = lifecycle.maintenance_words(maintenance, phase="maintenance_completed")
        assert words is not None
        lifecycle.maintenance_update_post(
            actor=ACTOR, maintenance=maintenance, body=words, status="completed"
        )
    assert _subjects(smtp, "dba@example.com")[-1] == "[Candor Demo] Database upgrade: Completed"
    assert len(smtp.to("dba@example.com")) == 2
