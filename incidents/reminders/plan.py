"""Writing down what is owed: reminder rows, inside the transaction that makes them due.

Called by lifecycle only. Each function cancels what the change made moot (pending rows
for an earlier due time) and inserts the rows for the new one; an insert that meets the
unique constraint is a row already planned, so planning twice plans once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from incidents import cadence
from incidents.models import (
    CadencePolicy,
    Contact,
    Incident,
    IncidentImpact,
    Maintenance,
    Reminder,
    ReminderKind,
    ReminderState,
)

INCIDENT_KINDS = (ReminderKind.UPDATE_DUE, ReminderKind.ESCALATION)


def lead_time() -> timedelta:
    return timedelta(seconds=settings.CANDOR_REMINDER_LEAD_SECONDS)


def escalation_step() -> timedelta:
    return timedelta(seconds=settings.CANDOR_ESCALATION_STEP_SECONDS)


def override_of(incident: Incident) -> cadence.Schedule | None:
    if incident.cadence_first_minutes is None:
        return None
    return cadence.Schedule(
        first=incident.cadence_first_minutes,
        then=incident.cadence_then_minutes or 0,
        every=incident.cadence_every_minutes or 0,
    )


def _of(policy: CadencePolicy) -> cadence.Schedule:
    return cadence.Schedule(policy.first_minutes, policy.then_minutes, policy.every_minutes)


def policy_schedule(impact: str) -> cadence.Schedule:
    """The impact's policy, else the default."""
    policy = CadencePolicy.objects.filter(impact=impact).first()
    return _of(policy) if policy else cadence.DEFAULT_SCHEDULE


def impact_schedules() -> dict[str, tuple[cadence.Schedule, bool]]:
    """Every impact's schedule, in impact order, and whether it is the default."""
    stored = {p.impact: p for p in CadencePolicy.objects.all()}
    return {
        impact: (_of(stored[impact]), False)
        if impact in stored
        else (cadence.DEFAULT_SCHEDULE, True)
        for impact in IncidentImpact.values
    }


def schedule_for(incident: Incident) -> cadence.Schedule:
    """The incident's override, else its impact's policy, else the default."""
    return override_of(incident) or policy_schedule(incident.impact)


def plan_incident(incident: Incident, *, now: datetime) -> None:
    """Reminders for the incident's next_update_due: one before it, escalations after."""
    due = incident.next_update_due
    pending = Reminder.objects.filter(incident=incident, state=ReminderState.PENDING)
    (pending if due is None else pending.exclude(due_at=due)).update(
        state=ReminderState.CANCELLED, error="Made moot: the next update moved or was posted."
    )
    if due is None:
        return
    levels = Contact.objects.filter(escalation_rank__isnull=False).count()
    rows = [
        Reminder(
            incident=incident,
            kind=ReminderKind.UPDATE_DUE,
            due_at=due,
            send_at=cadence.reminder_send_at(due_at=due, lead=lead_time(), now=now),
            created_at=now,
        )
    ]
    escalations = cadence.escalation_send_times(due_at=due, step=escalation_step(), levels=levels)
    rows += [
        Reminder(
            incident=incident,
            kind=ReminderKind.ESCALATION,
            level=level,
            due_at=due,
            send_at=send_at,
            created_at=now,
        )
        for level, send_at in enumerate(escalations, start=1)
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def plan_maintenance(maintenance: Maintenance, *, now: datetime) -> None:
    """Staff reminders before the window starts and when it should end, and one before
    each update promised while it overruns (Maintenance.next_update_due). Lifecycle calls
    it for windows not completed (completing cancels what is pending)."""
    moments = cadence.maintenance_moments(
        scheduled_for=maintenance.scheduled_for,
        scheduled_until=maintenance.scheduled_until,
        lead=lead_time(),
        now=now,
    )
    rows = [
        Reminder(
            maintenance=maintenance, kind=m.kind, due_at=m.due_at, send_at=m.send_at, created_at=now
        )
        for m in moments
    ]
    # Until it overruns, the promise it would make then: reminded before it is due.
    due = maintenance.next_update_due or cadence.overrun_due(
        scheduled_until=maintenance.scheduled_until, posted_since=()
    )
    pending = Reminder.objects.filter(
        maintenance=maintenance,
        kind=ReminderKind.MAINTENANCE_OVERRUN,
        state=ReminderState.PENDING,
    )
    pending.exclude(due_at=due).update(
        state=ReminderState.CANCELLED, error="Made moot: the next update moved or was posted."
    )
    rows.append(
        Reminder(
            maintenance=maintenance,
            kind=ReminderKind.MAINTENANCE_OVERRUN,
            due_at=due,
            send_at=cadence.reminder_send_at(due_at=due, lead=lead_time(), now=now),
            created_at=now,
        )
    )
    # One row per (kind, moment): planning again after an update plans only what is new.
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def cancel_maintenance(maintenance: Maintenance, *kinds: str) -> None:
    Reminder.objects.filter(
        maintenance=maintenance, state=ReminderState.PENDING, kind__in=kinds
    ).update(state=ReminderState.CANCELLED, error="Made moot by the window's progress.")
