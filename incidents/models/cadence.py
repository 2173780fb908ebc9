"""Update cadence: the schedule per impact, who is reminded, and every reminder sent.

A reminder row is written in the same transaction as the change that makes it due (an
incident opened, an update posted, a maintenance scheduled), so what is owed is recorded
before anything is sent; its unique constraint makes a second one for the same moment
impossible, whoever tries.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import Incident, IncidentImpact
from incidents.models.maintenance import Maintenance

# A schedule interval past a day is a typo, not a policy: nobody promises silence that long.
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 24 * 60


def _interval_in_range(field: str) -> Q:
    return Q(**{f"{field}__gte": MIN_INTERVAL_MINUTES, f"{field}__lte": MAX_INTERVAL_MINUTES})


class CadencePolicy(models.Model):
    """The schedule for incidents of one impact; impacts without a row use the default."""

    impact = models.CharField(max_length=16, choices=IncidentImpact.choices, unique=True)
    first_minutes = models.PositiveIntegerField()
    then_minutes = models.PositiveIntegerField()
    every_minutes = models.PositiveIntegerField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["impact"]
        constraints = [
            models.CheckConstraint(
                condition=_interval_in_range("first_minutes")
                & _interval_in_range("then_minutes")
                & _interval_in_range("every_minutes"),
                name="cadence_policy_intervals_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.impact}: {self.first_minutes}/{self.then_minutes}/{self.every_minutes}"


class Contact(models.Model):
    """Someone reminders reach: an incident owner, the on-call fallback, an escalation step."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True)  # E.164, e.g. +14155550100
    # The number replied STOP (Twilio's opt-out keywords): no reminder is texted to it
    # until it replies START. Email reminders still go.
    sms_stopped_at = models.DateTimeField(null=True, blank=True)
    # Reminded about incidents nobody owns, and about maintenance.
    on_call = models.BooleanField(default=False)
    # 1 is told first when an update is overdue, then 2, ...; empty: not on the list.
    escalation_rank = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    incidents = models.ManyToManyField(Incident, related_name="owners", blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(email="") | ~Q(phone=""), name="contact_reachable"),
        ]

    def __str__(self) -> str:
        return self.name


class ReminderKind(models.TextChoices):
    UPDATE_DUE = "update_due", _("Update due")
    ESCALATION = "escalation", _("Update overdue: escalation")
    MAINTENANCE_START = "maintenance_start", _("Maintenance starts")
    MAINTENANCE_END = "maintenance_end", _("Maintenance ends")
    MAINTENANCE_OVERRUN = "maintenance_overrun", _("Maintenance overran")


class ReminderState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", "Claimed"  # taken by a sweep, queued for a worker
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", "Cancelled"  # made moot: the update was posted, the window ended
    FAILED = "failed", _("Failed")


class Reminder(models.Model):
    # Unique through a constraint, not unique=True: on PostgreSQL that would add a second
    # (LIKE) index nothing searches, written by every claim of the sweep.
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, default=new_public_id)
    # No index of their own: the unique constraints below start with them and serve the
    # lookups and cascades (a claim then writes 6 index entries per row instead of 9).
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
        db_index=False,
    )
    maintenance = models.ForeignKey(
        Maintenance,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
        db_index=False,
    )
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    # Escalations: 1 for the first contact on the list, 2 for the next; 0 otherwise.
    level = models.PositiveSmallIntegerField(default=0)
    # The moment the reminder is about: the update's due time, the window's start or end.
    due_at = models.DateTimeField()
    # When it goes out: the lead time before due_at, or the escalation step after it.
    send_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # [{"name", "email", "phone"}] as they were when it was sent.
    recipients = models.JSONField(default=list, blank=True)
    email_result = models.CharField(max_length=200, blank=True)
    sms_result = models.CharField(max_length=200, blank=True)
    draft = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # Tries that reached nobody (a mail server down, Twilio unreachable); retried later.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this, when retrying; send_at keeps the planned moment lateness counts from.
    retry_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-send_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(incident__isnull=True) ^ Q(maintenance__isnull=True),
                name="reminder_about_one_thing",
            ),
            models.UniqueConstraint(fields=["public_id"], name="reminder_public_id_unique"),
            # Restarts, duplicate beats and retries all meet here: one reminder per moment.
            models.UniqueConstraint(
                fields=["incident", "kind", "due_at", "level"],
                condition=Q(incident__isnull=False),
                name="reminder_incident_unique",
            ),
            models.UniqueConstraint(
                fields=["maintenance", "kind", "due_at", "level"],
                condition=Q(maintenance__isnull=False),
                name="reminder_maintenance_unique",
            ),
        ]
        indexes = [
            # Serves the sweep: pending reminders whose send time has come.
            models.Index(
                fields=["send_at"],
                name="reminder_pending",
                condition=Q(state=ReminderState.PENDING),
            ),
            # Serves the sweep's re-queue of claims whose task was lost with the broker.
            models.Index(
                fields=["claimed_at"],
                name="reminder_claimed",
                condition=Q(state=ReminderState.CLAIMED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.due_at.isoformat()} ({self.state})"

    @property
    def lateness_seconds(self) -> float | None:
        if self.sent_at is None:
            return None
        return max(0.0, (self.sent_at - self.send_at).total_seconds())
