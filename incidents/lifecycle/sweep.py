"""What beat does to maintenance windows by itself: reminding subscribers before a window
starts, starting and completing windows on time, and noting one that overruns."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents import cadence, wording
from incidents.audit import Actor, audit_record
from incidents.lifecycle.maintenance import maintenance_update_post, maintenance_words
from incidents.lifecycle.posting import public_change, update_fields
from incidents.models import (
    ACTIVE_MAINTENANCE,
    AuditAction,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    NotifyScope,
)
from incidents.notify.costs.gate import notify_send
from incidents.publish.changes import maintenance_scope
from incidents.reminders import plan


def maintenance_remind_subscribers(
    *, maintenance: Maintenance, now: datetime | None = None
) -> MaintenanceUpdate | None:
    """Remind subscribers that the window starts soon, once: the announcement's own
    approved words, sent again as a reminder (not listed on the page). None when it is
    not due, or another sweep sent it."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Maintenance.objects.filter(
            pk=maintenance.pk,
            status=MaintenanceStatus.SCHEDULED,
            prior_notice_due__lte=now,
            prior_notice_at__isnull=True,
            scheduled_for__gt=now,
        ).update(prior_notice_at=now)
        if not claimed:
            return None
        announcement = (
            maintenance.updates.filter(status=MaintenanceStatus.SCHEDULED, reminder=False)
            .order_by("display_at", "pk")
            .last()
        )
        if announcement is None:
            return None
        update = MaintenanceUpdate.objects.create(
            maintenance=maintenance,
            status=MaintenanceStatus.SCHEDULED,
            reminder=True,
            **update_fields(announcement.body, announcement.affected_components, now),
        )
        component_ids = list(maintenance.components.values_list("pk", flat=True))
        # The beat cannot confirm an SMS cost above the cap: notify_send then sends the
        # free channels only, on record.
        sent = notify_send(
            actor=Actor.system("beat"),
            update=update,
            component_ids=component_ids,
            scope=NotifyScope.ALL,
            confirmed_cost=None,
            now=now,
        )
        audit_record(
            actor=Actor.system("beat"),
            action=AuditAction.MAINTENANCE_REMINDED,
            target=maintenance,
            summary=f"Reminded subscribers of {maintenance.name!r}",
            at=now,
            data={"update": update.public_id, "notify": sent},
        )
    return update


def maintenance_overrun_note(
    *, maintenance: Maintenance, now: datetime | None = None
) -> datetime | None:
    """A running window has passed its scheduled end: promise the first update (15
    minutes after the end, as for an incident) and show it on the page. Once; the
    promise, or None when the window was not overrunning or another sweep noted it."""
    now = now or timezone.now()
    due = cadence.overrun_due(scheduled_until=maintenance.scheduled_until, posted_since=())
    with transaction.atomic():
        claimed = Maintenance.objects.filter(
            pk=maintenance.pk,
            status__in=ACTIVE_MAINTENANCE,
            scheduled_until__lte=now,
            next_update_due__isnull=True,
        ).update(next_update_due=due, updated_at=now)
        if not claimed:
            return None
        maintenance.refresh_from_db()
        plan.plan_maintenance(maintenance, now=now)
        audit_record(
            actor=Actor.system("beat"),
            action=AuditAction.MAINTENANCE_OVERRAN,
            target=maintenance,
            summary=f"{maintenance.name!r} runs past its scheduled end; next update due "
            f"{due.isoformat()}",
            at=now,
            data={"next_update_due": due.isoformat()},
        )
        public_change(maintenance_scope(maintenance.public_id))
    return due


def maintenance_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Remind subscribers of windows about to start, start windows that are due and
    complete those that are over (the beat task).

    Each window is moved by its own lifecycle call, claimed on the status this sweep
    saw, so a failure on one leaves the others consistent and two sweeps at once move
    each window once. The words are the approved template of the phase; with none
    approved, the window is left for staff ("blocked" counts those), since nothing
    unapproved is published, not even by beat.
    """
    now = now or timezone.now()
    actor = Actor.system("beat")
    counts = {"started": 0, "completed": 0}
    reminded = blocked = 0
    for maintenance in Maintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED,
        prior_notice_due__lte=now,
        prior_notice_at__isnull=True,
        scheduled_for__gt=now,
    ):
        reminded += maintenance_remind_subscribers(maintenance=maintenance, now=now) is not None
    due = Maintenance.objects.filter(
        Q(
            status=MaintenanceStatus.SCHEDULED,
            auto_start=True,
            scheduled_for__lte=now,
            scheduled_until__gt=now,
        )
        | Q(
            status__in=[*ACTIVE_MAINTENANCE, MaintenanceStatus.SCHEDULED],
            auto_complete=True,
            scheduled_until__lte=now,
        )
    )
    for maintenance in due:
        over = maintenance.scheduled_until <= now
        status = MaintenanceStatus.COMPLETED if over else MaintenanceStatus.IN_PROGRESS
        body = maintenance_words(maintenance, phase=wording.maintenance_phase(status))
        if body is None:
            blocked += 1
            continue
        try:
            maintenance_update_post(
                actor=actor,
                maintenance=maintenance,
                body=body,
                status=status,
                expected=maintenance.status,
                now=now,
            )
        except ValidationError:
            continue  # moved by someone else meanwhile
        counts["completed" if over else "started"] += 1
    # What is left running past its end was not auto-completed: it has overrun.
    overran = sum(
        maintenance_overrun_note(maintenance=maintenance, now=now) is not None
        for maintenance in Maintenance.objects.filter(
            status__in=ACTIVE_MAINTENANCE, scheduled_until__lte=now, next_update_due__isnull=True
        )
    )
    extra = {"reminded": reminded} if reminded else {}
    extra |= {"overran": overran} if overran else {}
    return {**counts, **extra, **({"blocked": blocked} if blocked else {})}
