"""Claiming what is due, then sending it: the beat sweep and the per-reminder task.

The sweep locks due rows with SKIP LOCKED and marks them claimed in one short
transaction, so two sweeps at once (two beats, a retry) take disjoint rows. Each claimed
reminder is sent by its own task, which first moves it claimed -> sending with a
conditional UPDATE: a duplicate task message finds nothing to take. Network I/O happens
after that claim and outside any transaction. A claim whose task was lost with the broker
is re-queued by a later sweep; one interrupted mid-send stays "sending" and is never sent
again: a missing reminder is visible in the console, a double one would be noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    Contact,
    IncidentStatus,
    MaintenanceStatus,
    Reminder,
    ReminderKind,
    ReminderState,
)
from incidents.notify.transports.email import email_connection
from incidents.reminders import sms
from incidents.wording.drafts import draft_update, status_url

log = logging.getLogger(__name__)

CLAIM_BATCH = 500
# Later than this, the reminder says how late it is: the workers were away.
LATE_AFTER = timedelta(seconds=60)
# A reminder that reached nobody is tried again after 30 s, 1, 2, 4 min, then parked.
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)


def _requeue_after() -> timedelta:
    return timedelta(seconds=settings.CANDOR_REMINDER_REQUEUE_SECONDS)


def reminders_claim(*, now: datetime) -> list[int]:
    """Claim up to CLAIM_BATCH reminders whose time has come, and as many lost claims;
    their ids, to send (the due ones first, soonest first). The next sweep takes the rest.

    A constant number of queries however many incidents are open: on PostgreSQL one
    statement (_CLAIM), elsewhere (`make run`'s SQLite) three in a transaction.
    """
    if connection.vendor == "postgresql":
        return _claim_in_one_statement(now)
    return _claim_in_three_queries(now)


def _claim_in_three_queries(now: datetime) -> list[int]:
    with transaction.atomic():
        due = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(state=ReminderState.PENDING, send_at__lte=now)
            .exclude(retry_at__gt=now)
            .order_by("send_at", "pk")
            .values_list("pk", flat=True)[:CLAIM_BATCH]
        )
        lost = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(state=ReminderState.CLAIMED, claimed_at__lt=now - _requeue_after())
            .values_list("pk", flat=True)[:CLAIM_BATCH]
        )
        ids = due + lost
        if ids:
            Reminder.objects.filter(pk__in=ids).update(state=ReminderState.CLAIMED, claimed_at=now)
    return ids


# Select and mark in one round trip, committed on its own: the three-query version spent
# most of its time sending 500 ids back to the server and in BEGIN/COMMIT, and its worst
# case (bench/README.md) came from that second pass over the rows.
_CLAIM = f"""
WITH due AS (
    SELECT id FROM {Reminder._meta.db_table}
    WHERE state = %(pending)s AND send_at <= %(now)s AND (retry_at IS NULL OR retry_at <= %(now)s)
    ORDER BY send_at, id LIMIT %(batch)s FOR UPDATE SKIP LOCKED
), lost AS (
    SELECT id FROM {Reminder._meta.db_table}
    WHERE state = %(claimed)s AND claimed_at < %(stale)s
    LIMIT %(batch)s FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT id, 0 AS lost FROM due UNION ALL SELECT id, 1 AS lost FROM lost
)
UPDATE {Reminder._meta.db_table} AS r SET state = %(claimed)s, claimed_at = %(now)s
FROM picked WHERE r.id = picked.id
RETURNING r.id, picked.lost, r.send_at
"""  # noqa: S608  (table name from the model; every value is a parameter)


def _claim_in_one_statement(now: datetime) -> list[int]:
    params: dict[str, Any] = {
        "pending": ReminderState.PENDING,
        "claimed": ReminderState.CLAIMED,
        "now": now,
        "stale": now - _requeue_after(),
        "batch": CLAIM_BATCH,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        rows = cursor.fetchall()
    return [pk for pk, _, _ in sorted(rows, key=lambda row: (row[1], row[2], row[0]))]


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    phone: str

    @classmethod
    def of(cls, contact: Contact) -> Recipient:
        phone = "" if contact.sms_stopped_at else contact.phone  # it replied STOP
        return cls(contact.name, contact.email, phone)


def _recipients(reminder: Reminder) -> list[Recipient]:
    if reminder.kind == ReminderKind.ESCALATION:
        ladder = Contact.objects.filter(escalation_rank__isnull=False).order_by("escalation_rank")
        step = list(ladder[reminder.level - 1 : reminder.level])
        return [Recipient.of(c) for c in step]
    if reminder.incident is not None:
        owners = list(reminder.incident.owners.all())
        if owners:
            return [Recipient.of(c) for c in owners]
    # Nobody owns it (or it is maintenance): whoever is on call.
    return [Recipient.of(c) for c in Contact.objects.filter(on_call=True)]


def _moot(reminder: Reminder) -> str:
    """Why the reminder no longer applies, or "" if it still does."""
    incident, maintenance = reminder.incident, reminder.maintenance
    if incident is not None:
        if incident.status == IncidentStatus.RESOLVED:
            return "The incident was resolved."
        if incident.next_update_due != reminder.due_at:
            return "The update was posted."
    if maintenance is not None:
        if maintenance.status == MaintenanceStatus.COMPLETED:
            return "The maintenance was completed."
        if reminder.kind == ReminderKind.MAINTENANCE_START and maintenance.started_at:
            return "The maintenance started."
        overrun = reminder.kind == ReminderKind.MAINTENANCE_OVERRUN
        moved = maintenance.next_update_due not in (None, reminder.due_at)
        if overrun and moved:
            return "The update was posted."
    return ""


def _draft_link(reminder: Reminder) -> str:
    if reminder.incident is not None:
        path = reverse("console:incident_detail", args=[reminder.incident.public_id])
        return f"{settings.CANDOR_APP_URL}{path}?draft={reminder.public_id}"
    assert reminder.maintenance is not None
    path = reverse("console:maintenance_detail", args=[reminder.maintenance.public_id])
    return f"{settings.CANDOR_APP_URL}{path}"


def _late_by(reminder: Reminder, now: datetime) -> int:
    """Whole minutes late, when later than LATE_AFTER; 0 otherwise."""
    late = now - reminder.send_at
    return int(late.total_seconds() // 60) if late > LATE_AFTER else 0


def reminder_send(reminder_id: int, *, now: datetime | None = None) -> str:
    """Send one claimed reminder by email and SMS; what happened, for the task's result."""
    now = now or timezone.now()
    taken = Reminder.objects.filter(pk=reminder_id, state=ReminderState.CLAIMED).update(
        state=ReminderState.SENDING
    )
    if not taken:
        return "not claimed"  # sent, or being sent, by another task
    reminder = Reminder.objects.select_related("incident", "maintenance").get(pk=reminder_id)
    moot = _moot(reminder)
    if moot:
        _finish(reminder, state=ReminderState.CANCELLED, error=moot)
        return "cancelled"
    recipients = _recipients(reminder)
    if not recipients:
        nobody = (
            f"The escalation list has no step {reminder.level} any more."
            if reminder.kind == ReminderKind.ESCALATION
            else "Nobody to remind: give the incident an owner, or mark a contact on call."
        )
        _finish(reminder, state=ReminderState.FAILED, error=nobody)
        return "failed"
    incident = reminder.incident
    draft = draft_update(incident, phase=incident.status, now=now) if incident else ""
    context = {
        "reminder": reminder,
        "kind": ReminderKind(reminder.kind).label,
        "subject_name": incident.name if incident else reminder.maintenance.name,  # type: ignore[union-attr]
        "draft": draft,
        "link": _draft_link(reminder),
        "status_url": status_url(incident) if incident else "",
        "late_minutes": _late_by(reminder, now),
        "page_name": settings.CANDOR_PAGE_NAME,
    }
    # Only who is also texted is asked to reply to the SMS.
    mails = {
        texted: render_to_string("email/reminder.txt", {**context, "texted": texted}).partition(
            "\n"
        )
        for texted in (False, True)
    }
    email_result = _email(
        [(r.email, mails[bool(r.phone) and sms.configured()]) for r in recipients if r.email]
    )
    sms_result = sms.send_all(
        [r.phone for r in recipients if r.phone],
        render_to_string("sms/reminder.txt", context).strip(),
    )
    delivered = _reached(email_result) or _reached(sms_result)
    record = {
        "recipients": [{"name": r.name, "email": r.email, "phone": r.phone} for r in recipients],
        "email_result": email_result,
        "sms_result": sms_result,
        "draft": draft,
    }
    if delivered:
        _finish(reminder, state=ReminderState.SENT, sent_at=now, error="", **record)
        return "sent"
    # Nobody was reached, so trying again cannot send anything twice.
    attempts = reminder.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        error = f"Neither email nor SMS reached anyone after {attempts} tries."
        _finish(reminder, state=ReminderState.FAILED, attempts=attempts, error=error, **record)
        return "failed"
    _finish(
        reminder,
        state=ReminderState.PENDING,
        attempts=attempts,
        retry_at=now + RETRY_BASE * 2 ** (attempts - 1),
        error=f"Neither email nor SMS reached anyone (try {attempts}); trying again.",
        **record,
    )
    return "retrying"


def _reached(result: str) -> bool:
    return result.startswith("sent to") and not result.startswith("sent to 0")


def _email(mails: list[tuple[str, tuple[str, str, str]]]) -> str:
    """Send each (address, (subject, "\n", body)) as one message."""
    if not mails:
        return "no email addresses"
    messages = [
        EmailMessage(subject.strip(), body.lstrip("\n"), None, [address])
        for address, (subject, _, body) in mails
    ]
    try:
        sent = email_connection().send_messages(messages) or 0
    except Exception as error:  # any SMTP or socket failure: recorded on the reminder
        log.warning("reminder email failed: %s", error)
        return f"failed: {error}"[:200]
    return f"sent to {sent}"


def _finish(reminder: Reminder, **fields: object) -> None:
    Reminder.objects.filter(pk=reminder.pk).update(**fields)
