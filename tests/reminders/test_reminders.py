"""Reminders fire at the right moments, once, with the right draft; time is moved."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import mail
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incidents import lifecycle, tasks
from incidents.audit import Actor
from incidents.cadence import Schedule
from incidents.models import Incident, Reminder, ReminderState
from incidents.reminders import sms
from incidents.reminders.send import reminder_send, reminders_claim
from incidents.reminders.services import incident_owners_set
from tests.factories import promised
from tests.reminders.conftest import T0, People

SYSTEM = Actor.system("test")


def _open(owners: list | None = None, **kwargs: object) -> Incident:
    incident = lifecycle.incident_open(
        actor=SYSTEM, name="Checkout errors", body=promised("We are investigating."), **kwargs
    )
    if owners:
        incident_owners_set(actor=SYSTEM, incident=incident, owners=owners)
    return incident


def _sweep_at(clock: time_machine.Coordinates, after: timedelta) -> list[mail.EmailMessage]:
    """Move to T0 + after, run the beat sweep (its sends run eagerly), return new emails."""
    clock.move_to(T0 + after)
    before = len(mail.outbox)
    tasks.reminders_sweep()
    return list(mail.outbox[before:])


def test_the_owner_is_reminded_five_minutes_before_the_first_update_is_due_once(
    people: People, clock: time_machine.Coordinates
) -> None:
    incident = _open([people.owner])
    assert incident.next_update_due == T0 + timedelta(minutes=15)

    assert _sweep_at(clock, timedelta(minutes=9, seconds=59)) == []
    sent = _sweep_at(clock, timedelta(minutes=10))
    assert [m.to for m in sent] == [["olivia@example.com"]]
    reminder = Reminder.objects.get(incident=incident, kind="update_due")
    assert "Update due: Checkout errors" in sent[0].subject
    assert "due by 12:15 UTC" in sent[0].body
    # The draft for the current phase, promising the next update after it, and its link.
    assert "We are investigating reports of problems with" in sent[0].body
    assert "Next update by 13:10 UTC." in sent[0].body
    assert f"/console/incidents/{incident.public_id}/?draft={reminder.public_id}" in sent[0].body
    assert "late" not in sent[0].body
    assert reminder.state == ReminderState.SENT
    assert reminder.sms_result == sms.SKIPPED  # Olivia has a phone; Twilio is not configured
    assert reminder.draft.startswith("We are investigating reports of problems with")

    assert _sweep_at(clock, timedelta(minutes=11)) == []
    assert _sweep_at(clock, timedelta(minutes=12)) == []


def test_posting_an_update_moves_the_reminder_to_the_next_due_time(
    people: People, clock: time_machine.Coordinates
) -> None:
    incident = _open([people.owner])
    clock.move_to(T0 + timedelta(minutes=5))
    lifecycle.update_post(
        actor=SYSTEM, incident=incident, body=promised("Identified."), status="identified"
    )
    incident.refresh_from_db()
    assert incident.next_update_due == T0 + timedelta(minutes=65)

    assert _sweep_at(clock, timedelta(minutes=10)) == []
    assert _sweep_at(clock, timedelta(minutes=20)) == []  # nothing overdue: no escalation
    sent = _sweep_at(clock, timedelta(minutes=60))
    assert len(sent) == 1
    assert "due by 13:05 UTC" in sent[0].body
    # Twilio is not configured: no SMS went out, so the mail does not ask to reply to one.
    assert "to the SMS" not in sent[0].body
    assert "Acknowledge this reminder in the console" in sent[0].body
    assert "We have identified the cause of the problems with" in sent[0].body
    # Posted at 13:00, the second follow-up would promise the next one 120 minutes later.
    assert "Next update by 15:00 UTC" in sent[0].body


def test_an_overdue_update_escalates_down_the_list_and_only_when_overdue(
    people: People, clock: time_machine.Coordinates
) -> None:
    _open([people.owner])
    assert len(_sweep_at(clock, timedelta(minutes=10))) == 1  # the owner's reminder
    assert _sweep_at(clock, timedelta(minutes=14, seconds=59)) == []
    first = _sweep_at(clock, timedelta(minutes=15))
    assert [m.to for m in first] == [["cora@example.com"]]
    assert "(escalation 1)" in first[0].subject
    assert "escalation:" not in first[0].subject  # said once, not "escalation: … (escalation 1)"
    assert "overdue" in first[0].body
    assert _sweep_at(clock, timedelta(minutes=29)) == []
    second = _sweep_at(clock, timedelta(minutes=30))
    assert [m.to for m in second] == [["ike@example.com"]]
    assert _sweep_at(clock, timedelta(hours=3)) == []  # the list is exhausted


def test_an_update_posted_in_time_means_no_escalation(
    people: People, clock: time_machine.Coordinates
) -> None:
    incident = _open([people.owner])
    _sweep_at(clock, timedelta(minutes=10))
    clock.move_to(T0 + timedelta(minutes=14))
    lifecycle.update_post(
        actor=SYSTEM, incident=incident, body=promised("Still on it."), status="investigating"
    )
    assert _sweep_at(clock, timedelta(minutes=16)) == []
    assert _sweep_at(clock, timedelta(minutes=45)) == []
    assert not Reminder.objects.filter(kind="escalation", state=ReminderState.SENT).exists()


def test_a_reminder_missed_while_workers_were_down_is_sent_saying_how_late(
    people: People, clock: time_machine.Coordinates
) -> None:
    _open([people.owner])
    sent = _sweep_at(clock, timedelta(minutes=35))  # nobody swept since 12:00
    by_recipient = {m.to[0]: m for m in sent}
    assert set(by_recipient) == {"olivia@example.com", "cora@example.com", "ike@example.com"}
    assert (
        "This reminder is 25 minutes late: the reminder workers were unavailable when it was due."
        in by_recipient["olivia@example.com"].body
    )
    assert "This reminder is 20 minutes late" in by_recipient["cora@example.com"].body
    assert "This reminder is 5 minutes late" in by_recipient["ike@example.com"].body
    assert _sweep_at(clock, timedelta(minutes=36)) == []


def test_an_incident_nobody_owns_reminds_the_on_call_list(
    people: People, clock: time_machine.Coordinates
) -> None:
    _open()
    sent = _sweep_at(clock, timedelta(minutes=10))
    assert [m.to for m in sent] == [["oscar@example.com"]]


def test_with_nobody_to_remind_the_reminder_fails_visibly(
    db: None, clock: time_machine.Coordinates
) -> None:
    incident = _open()
    assert _sweep_at(clock, timedelta(minutes=10)) == []
    reminder = Reminder.objects.get(incident=incident)
    assert reminder.state == ReminderState.FAILED
    assert "give the incident an owner" in reminder.error


def test_resolving_stops_the_cadence(people: People, clock: time_machine.Coordinates) -> None:
    incident = _open([people.owner])
    clock.move_to(T0 + timedelta(minutes=3))
    lifecycle.incident_resolve(actor=SYSTEM, incident=incident, body="Fixed.")
    incident.refresh_from_db()
    assert incident.next_update_due is None
    assert _sweep_at(clock, timedelta(hours=6)) == []
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.CANCELLED}


def test_an_update_posted_after_the_claim_makes_the_reminder_moot(
    people: People, clock: time_machine.Coordinates
) -> None:
    incident = _open([people.owner])
    clock.move_to(T0 + timedelta(minutes=10))
    [claimed] = reminders_claim(now=T0 + timedelta(minutes=10))
    lifecycle.update_post(
        actor=SYSTEM, incident=incident, body=promised("Update."), status="identified"
    )
    assert reminder_send(claimed) == "cancelled"
    assert mail.outbox == []


def test_a_per_incident_override_moves_the_promise_and_its_reminder(
    people: People, clock: time_machine.Coordinates
) -> None:
    incident = _open([people.owner], impact="critical")
    clock.move_to(T0 + timedelta(minutes=2))
    incident = lifecycle.cadence_override_set(
        actor=SYSTEM, incident=incident, schedule=Schedule(first=5, then=10, every=10)
    )
    assert incident.next_update_due == T0 + timedelta(minutes=5)
    sent = _sweep_at(clock, timedelta(minutes=2))  # lead 5 min: due now already
    assert len(sent) == 1 and "due by 12:05 UTC" in sent[0].body
    assert Reminder.objects.filter(state=ReminderState.CANCELLED, kind="update_due").count() == 1


@hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    updates=st.lists(st.integers(min_value=0, max_value=6 * 3600), max_size=5),
    resolve_after=st.integers(min_value=0, max_value=6 * 3600),
)
def test_resolving_at_any_point_stops_the_schedule(
    people: People, updates: list[int], resolve_after: int
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        incident = _open([people.owner])
        at = T0
        for gap in updates:
            at += timedelta(seconds=gap)
            clock.move_to(at)
            before = Incident.objects.get(pk=incident.pk).next_update_due
            lifecycle.update_post(
                actor=SYSTEM, incident=incident, body=promised("More."), status="identified"
            )
            after = Incident.objects.get(pk=incident.pk).next_update_due
            assert before is not None and after is not None
            assert after > at and after >= before
        clock.move_to(at + timedelta(seconds=resolve_after))
        lifecycle.incident_resolve(actor=SYSTEM, incident=incident, body="Fixed.")
    incident.refresh_from_db()
    assert incident.next_update_due is None
    assert not Reminder.objects.filter(incident=incident, state=ReminderState.PENDING).exists()


def test_maintenance_reminds_before_its_start_at_its_end_and_when_it_overruns(
    people: People, clock: time_machine.Coordinates
) -> None:
    maintenance = lifecycle.maintenance_schedule(
        actor=SYSTEM,
        name="Database upgrade",
        body="Upgrading.",
        scheduled_for=T0 + timedelta(hours=1),
        scheduled_until=T0 + timedelta(hours=2),
        auto_start=False,
        auto_complete=False,
    )
    assert _sweep_at(clock, timedelta(minutes=54)) == []
    [start] = _sweep_at(clock, timedelta(minutes=55))
    assert start.to == ["oscar@example.com"]
    assert "Maintenance starts: Database upgrade" in start.subject
    assert "scheduled to start at 13:00 UTC" in start.body
    clock.move_to(T0 + timedelta(minutes=61))
    lifecycle.maintenance_update_post(
        actor=SYSTEM, maintenance=maintenance, body="Started.", status="in_progress"
    )
    assert _sweep_at(clock, timedelta(minutes=119)) == []
    [end] = _sweep_at(clock, timedelta(minutes=120))
    assert "Maintenance ends" in end.subject
    # The overrun's first promised update is due 15 minutes after the scheduled end,
    # reminded the lead time (5 minutes) before it, as an incident's would be.
    assert _sweep_at(clock, timedelta(minutes=129)) == []
    [overrun] = _sweep_at(clock, timedelta(minutes=130))
    assert "Maintenance overran" in overrun.subject
    assert "should have ended at 14:00 UTC" in overrun.body


def test_completing_maintenance_in_time_cancels_its_end_and_overrun_reminders(
    people: People, clock: time_machine.Coordinates
) -> None:
    maintenance = lifecycle.maintenance_schedule(
        actor=SYSTEM,
        name="Cache flush",
        body="Flushing.",
        scheduled_for=T0 + timedelta(minutes=30),
        scheduled_until=T0 + timedelta(hours=1),
    )
    clock.move_to(T0 + timedelta(minutes=40))
    lifecycle.maintenance_update_post(
        actor=SYSTEM, maintenance=maintenance, body="Done early.", status="completed"
    )
    assert [m.subject for m in _sweep_at(clock, timedelta(hours=3))] == []
    assert set(
        Reminder.objects.filter(maintenance=maintenance).values_list("state", flat=True)
    ) == {ReminderState.CANCELLED}


def test_an_escalation_whose_step_was_vacated_fails_saying_so(
    people: People, clock: time_machine.Coordinates
) -> None:
    _open([people.owner])
    people.commander.escalation_rank = None
    people.commander.save()
    _sweep_at(clock, timedelta(minutes=31))
    second = Reminder.objects.get(kind="escalation", level=2)
    assert second.state == ReminderState.FAILED
    assert second.error == "The escalation list has no step 2 any more."
