"""Maintenance windows: announcing one, and posting its updates as it moves forward
(start, verify, complete; completing a window not yet started cancels it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import cadence, wording
from incidents.audit import Actor
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.lifecycle.checks import (
    MAX_BODY_LENGTH,
    MAX_NAME_LENGTH,
    Errors,
    check_choice,
    check_components_exist,
    check_text,
    raise_if,
    words_check,
)
from incidents.lifecycle.posting import maintenance_update_write, update_published
from incidents.lifecycle.statuses import affected_record, recompute_statuses
from incidents.models import (
    ACTIVE_MAINTENANCE,
    Audience,
    AuditAction,
    Component,
    Maintenance,
    MaintenanceComponent,
    MaintenanceImpact,
    MaintenanceStatus,
    MaintenanceUpdate,
    NotifyScope,
)
from incidents.models.maintenance import MAX_PRIOR_MINUTES
from incidents.notify.costs.gate import scope_check
from incidents.publish.changes import maintenance_scope
from incidents.reminders import plan
from incidents.wording import approvals

MaintenanceComponents = Iterable[Component] | Mapping[Component, str]

# Maintenance moves forward only; completing from "scheduled" is how a window is cancelled.
_MAINTENANCE_NEXT = {
    MaintenanceStatus.SCHEDULED: {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.IN_PROGRESS: {MaintenanceStatus.VERIFYING, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.VERIFYING: {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.COMPLETED: set(),
}

# Reminders each step makes moot: a started window needs no "starts soon".
_MAINTENANCE_MOOTS: dict[str, tuple[str, ...]] = {
    MaintenanceStatus.IN_PROGRESS: ("maintenance_start",),
    MaintenanceStatus.VERIFYING: ("maintenance_start",),
    MaintenanceStatus.COMPLETED: ("maintenance_start", "maintenance_end", "maintenance_overrun"),
}

_MAINTENANCE_AUDIT = {
    MaintenanceStatus.IN_PROGRESS: AuditAction.MAINTENANCE_STARTED,
    MaintenanceStatus.VERIFYING: AuditAction.MAINTENANCE_UPDATED,
    MaintenanceStatus.COMPLETED: AuditAction.MAINTENANCE_COMPLETED,
}

# Re-evaluates the signals of components whose window ended (ingest/automation.py).
COMPONENTS_EVALUATE_TASK = "incidents.tasks.components_evaluate"


def _impacts_of(components: MaintenanceComponents) -> dict[Component, str]:
    """Each component's expected impact; a plain list puts them all under maintenance."""
    if isinstance(components, Mapping):
        return dict(components)
    return dict.fromkeys(components, MaintenanceImpact.UNDER_MAINTENANCE)


def _check_impacts(errors: Errors, impacts: Mapping[Component, str]) -> None:
    check_components_exist(errors, impacts)
    for component, impact in impacts.items():
        if impact not in MaintenanceImpact.values:
            allowed = ", ".join(MaintenanceImpact.values)
            errors["components"].append(
                f"{component.name!r}: {impact!r} is not an expected impact ({allowed})."
            )


def maintenance_schedule(
    *,
    actor: Actor,
    name: str,
    body: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: MaintenanceComponents = (),
    auto_start: bool = True,
    auto_complete: bool = True,
    notify_prior_minutes: int | None = None,
    notify_start: bool = True,
    notify_end: bool = True,
    override_reason: str = "",
    notify: str = NotifyScope.ALL,
    confirm_sms_cost: Decimal | None = None,
    audiences: Sequence[Audience] = (),
    now: datetime | None = None,
) -> Maintenance:
    """Announce a window. `components` maps each to its expected impact (a plain list:
    under maintenance); subscribers are reminded `notify_prior_minutes` before it starts
    (None: not), and told when it starts and completes unless told otherwise."""
    now = now or timezone.now()
    impacts = _impacts_of(components)
    errors: Errors = defaultdict(list)
    check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    check_text(errors, "body", body, MAX_BODY_LENGTH)
    if scheduled_until <= scheduled_for:
        errors["scheduled_until"].append("The window must end after it starts.")
    if scheduled_until <= now:
        errors["scheduled_until"].append("The window is already over.")
    if notify_prior_minutes is not None and not 1 <= notify_prior_minutes <= MAX_PRIOR_MINUTES:
        errors["notify_prior_minutes"].append(
            f"Between 1 and {MAX_PRIOR_MINUTES} minutes (a week), or empty for no reminder."
        )
    _check_impacts(errors, impacts)
    raise_if(errors)
    scope_check(notify)
    phase = wording.Phase.MAINTENANCE_SCHEDULED
    words = words_check(body, phase=phase, title=name.strip(), override_reason=override_reason)
    prior = timedelta(minutes=notify_prior_minutes) if notify_prior_minutes else None
    with transaction.atomic():
        maintenance = Maintenance.objects.create(
            name=name.strip(),
            scheduled_for=scheduled_for,
            scheduled_until=scheduled_until,
            auto_start=auto_start,
            auto_complete=auto_complete,
            notify_prior_minutes=notify_prior_minutes,
            notify_start=notify_start,
            notify_end=notify_end,
            prior_notice_due=cadence.prior_notice_due(
                scheduled_for=scheduled_for, prior=prior, now=now
            ),
            created_at=now,
            updated_at=now,
        )
        if audiences:  # before the notice's messages, which read whom the window is for
            maintenance.audiences.set(audiences)
        MaintenanceComponent.objects.bulk_create(
            MaintenanceComponent(maintenance=maintenance, component=c, impact=impact)
            for c, impact in impacts.items()
        )
        plan.plan_maintenance(maintenance, now=now)
        notice = maintenance_update_write(
            maintenance,
            status=MaintenanceStatus.SCHEDULED,
            body=body,
            affected=affected_record(impacts, {}),
            now=now,
        )
        update_published(
            actor=actor,
            update=notice,
            target=maintenance,
            words=words,
            component_ids=(c.pk for c in impacts),
            notify=notify,
            confirm_sms_cost=confirm_sms_cost,
            action=AuditAction.MAINTENANCE_SCHEDULED,
            summary=f"Scheduled {maintenance.name!r} "
            f"{scheduled_for.isoformat()} to {scheduled_until.isoformat()}",
            data={
                "components": {c.public_id: impact for c, impact in impacts.items()},
                "notices": {
                    "prior_minutes": notify_prior_minutes,
                    "start": notify_start,
                    "end": notify_end,
                },
            },
            scope=maintenance_scope(maintenance.public_id),
            now=now,
        )
    return maintenance


def _notifies(maintenance: Maintenance, current: str, status: str) -> bool:
    """Whether subscribers hear of this update: the start and the completion only if the
    window asked for them; a cancellation and every other update always."""
    if status == current:
        return True
    if status == MaintenanceStatus.IN_PROGRESS and current == MaintenanceStatus.SCHEDULED:
        return maintenance.notify_start
    if status == MaintenanceStatus.COMPLETED and current != MaintenanceStatus.SCHEDULED:
        return maintenance.notify_end
    return True


def _overrun_due(maintenance: Maintenance, *, now: datetime) -> datetime | None:
    """The promise of a window still running once this update is posted at `now`."""
    if maintenance.status not in ACTIVE_MAINTENANCE:
        return None
    posted = list(
        maintenance.updates.filter(
            reminder=False, display_at__gt=maintenance.scheduled_until, display_at__lte=now
        )
        .order_by("display_at")
        .values_list("display_at", flat=True)
    )
    return cadence.overrun_due(scheduled_until=maintenance.scheduled_until, posted_since=posted)


def maintenance_update_post(
    *,
    actor: Actor,
    maintenance: Maintenance,
    body: str,
    status: str,
    expected: str | None = None,
    override_reason: str = "",
    notify: str = NotifyScope.ALL,
    confirm_sms_cost: Decimal | None = None,
    now: datetime | None = None,
) -> MaintenanceUpdate:
    """Post a maintenance update, moving the window forward (start, verify, complete).

    `expected` is the status the caller acted on (the beat sweep): if the window has
    moved since, ValidationError and nothing is posted, so two sweeps post once.
    """
    now = now or timezone.now()
    errors: Errors = defaultdict(list)
    check_text(errors, "body", body, MAX_BODY_LENGTH)
    check_choice(errors, "status", status, MaintenanceStatus)
    raise_if(errors)
    scope_check(notify)
    phase = wording.maintenance_phase(status)
    words = words_check(
        body,
        phase=phase,
        title=maintenance.name,
        override_reason=override_reason,
        maintenance=maintenance,
    )
    with transaction.atomic():
        maintenance = Maintenance.objects.select_for_update().get(pk=maintenance.pk)
        current = MaintenanceStatus(maintenance.status)
        if expected is not None and current != expected:
            raise ValidationError({"status": ["This maintenance has moved on meanwhile."]})
        if status != current and status not in _MAINTENANCE_NEXT[current]:
            raise ValidationError(
                {
                    "status": [
                        f"A maintenance that is {current.label.lower()} cannot become "
                        f"{MaintenanceStatus(status).label.lower()}."
                    ]
                }
            )
        if current == MaintenanceStatus.COMPLETED:
            raise ValidationError({"status": ["This maintenance is completed."]})
        cancelled = current == MaintenanceStatus.SCHEDULED and status == "completed"
        notifies = _notifies(maintenance, current, status)
        maintenance.status = status
        maintenance.updated_at = now
        if status == MaintenanceStatus.IN_PROGRESS and maintenance.started_at is None:
            maintenance.started_at = now
        if status == MaintenanceStatus.COMPLETED:
            maintenance.completed_at = now
        maintenance.save()
        components = list(maintenance.components.all())
        changes = recompute_statuses((c.pk for c in components), now=now)
        update = maintenance_update_write(
            maintenance,
            status=status,
            body=body,
            affected=affected_record(components, changes),
            now=now,
        )
        if now >= maintenance.scheduled_until or status == MaintenanceStatus.COMPLETED:
            # Past its scheduled end, each update moves the promise as an incident's does.
            maintenance.next_update_due = _overrun_due(maintenance, now=now)
            maintenance.save(update_fields=["next_update_due"])
        if status != MaintenanceStatus.COMPLETED:
            plan.plan_maintenance(maintenance, now=now)
        plan.cancel_maintenance(maintenance, *_MAINTENANCE_MOOTS.get(status, ()))
        action = (
            AuditAction.MAINTENANCE_CANCELLED
            if cancelled
            else _MAINTENANCE_AUDIT.get(MaintenanceStatus(status), AuditAction.MAINTENANCE_UPDATED)
        )
        update_published(
            actor=actor,
            update=update,
            target=maintenance,
            words=words,
            component_ids=(c.pk for c in components),
            # A start or end notice the maintenance opted out of is published but not sent.
            notify=notify if notifies else NotifyScope.NONE,
            confirm_sms_cost=confirm_sms_cost,
            action=action,
            summary=f"{action.label}: {maintenance.name!r}",
            data={
                "update": update.public_id,
                "status": status,
                "subscribers_notified": notifies,
                "next_update_due": maintenance.next_update_due.isoformat()
                if maintenance.next_update_due and now >= maintenance.scheduled_until
                else None,
            },
            scope=maintenance_scope(maintenance.public_id),
            now=now,
        )
        if status == MaintenanceStatus.COMPLETED and components:
            # Alerts still firing when the window ends are evaluated at once: an outage
            # that outlives its maintenance is not missed (the ingest sweep also would).
            ids = sorted(c.pk for c in components)
            enqueue_on_commit(COMPONENTS_EVALUATE_TASK, ids, fallback=Fallback.HERE)
    return update


def maintenance_words(maintenance: Maintenance, *, phase: str) -> str | None:
    """The maintenance told in the phase's approved template, if there is one."""
    values = wording.values_for(
        title=maintenance.name,
        component_names=[c.name for c in maintenance.components.all()],
        window_start=maintenance.scheduled_for,
        window_end=maintenance.scheduled_until,
    )
    return approvals.template_words(phase, values)
