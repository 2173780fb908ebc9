"""The one write path for everything the public sees.

Console, staff API, beat tasks and (later) monitor automation call these functions and
nothing else. Each validates, runs in one transaction, derives component statuses, records
the audit event, bumps the site version, and schedules the public refresh and publish for
after the commit: an error at any step leaves nothing half-saved.

Every public update's words must be approved — a rendering of an approved template for
its phase, or a custom text an approver approved for this occasion — and pass the wording
policy (incidents/wording.py); otherwise the call raises wording.WordingRefused with the
itemised violations. An Admin may override in an emergency, giving a reason: the override
is audited and queued for review (overrides.override_record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import astuple
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import cadence, wording
from incidents.audit import Actor, audit_record
from incidents.cadence import promise
from incidents.models import (
    ACTIVE_MAINTENANCE,
    AuditAction,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    worst_status,
)
from incidents.notify.outbox import deliveries_create
from incidents.public.cache import public_changed
from incidents.publish.changes import (
    EVERYTHING,
    SITE_WIDE_ONLY,
    Scope,
    incident_scope,
    maintenance_scope,
)
from incidents.publish.trigger import request_publish
from incidents.publish.versions import site_version_bump
from incidents.reminders import plan
from incidents.rendering import render_markdown
from incidents.text import text_problem
from incidents.wording import approvals, overrides

MAX_NAME_LENGTH = 200
MAX_BODY_LENGTH = 20_000

ComponentImpacts = Mapping[Component, ComponentStatus]

# Maintenance moves forward only; completing from "scheduled" is how a window is cancelled.
_MAINTENANCE_NEXT = {
    MaintenanceStatus.SCHEDULED: {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.IN_PROGRESS: {MaintenanceStatus.VERIFYING, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.VERIFYING: {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.COMPLETED: set(),
}


# -- validation ------------------------------------------------------------------------


def _check_text(
    errors: dict[str, list[str]],
    field: str,
    value: str,
    limit: int,
    *,
    required: bool = True,
    multiline: bool = True,
) -> None:
    """Required and within `limit`, and nothing text.py refuses."""
    if required and (not value or not value.strip()):
        errors[field].append("This field is required.")
    elif len(value) > limit:
        errors[field].append(f"At most {limit} characters (this has {len(value)}).")
    elif problem := text_problem(value, multiline=multiline):
        errors[field].append(f"This text {problem}")


def _check_choice(errors: dict[str, list[str]], field: str, value: str, choices: type) -> None:
    if value not in choices.values:  # type: ignore[attr-defined]
        allowed = ", ".join(choices.values)  # type: ignore[attr-defined]
        errors[field].append(f"{value!r} is not one of: {allowed}.")


def _check_components_exist(errors: dict[str, list[str]], components: Iterable[Component]) -> None:
    wanted = {c.pk for c in components}
    known = set(Component.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    for component in components:
        if component.pk not in known:
            errors["components"].append(f"Unknown component {component.name!r}.")


def _check_components(errors: dict[str, list[str]], components: ComponentImpacts) -> None:
    _check_components_exist(errors, components)
    for status in components.values():
        if status not in ComponentStatus.values:
            errors["components"].append(f"{status!r} is not a component status.")
        elif status == ComponentStatus.UNDER_MAINTENANCE:
            errors["components"].append(
                "Incidents cannot set 'under_maintenance'; schedule a maintenance instead."
            )


def _raise_if(errors: dict[str, list[str]]) -> None:
    if any(errors.values()):
        raise ValidationError({k: v for k, v in errors.items() if v})


NOT_APPROVED = (
    "These words are not approved for this phase: use an approved template, or submit "
    "them for approval as custom text."
)


def _match_context(title: str) -> wording.MatchContext:
    return wording.MatchContext(
        title=title, component_names=list(Component.objects.values_list("name", flat=True))
    )


def _words_check(
    body: str,
    *,
    phase: str,
    title: str,
    override_reason: str,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
) -> approvals.Basis | None:
    """Why these words may be published; None when an override will say so instead.

    Raises WordingRefused, listing every violation, when the words are not approved or
    break the policy. An override skips both checks; overrides.override_record, called in
    the writing transaction, verifies the Admin and records it.
    """
    if override_reason:
        return None
    violations = wording.check(body, channel="web", phase=phase)
    context = _match_context(title)
    basis = approvals.approved_basis(
        body, phase=phase, context=context, incident=incident, maintenance=maintenance
    )
    if basis is None:
        raise wording.WordingRefused(NOT_APPROVED, violations)
    if violations:
        raise wording.WordingRefused("These words break the wording policy.", violations)
    return basis


def _words_record(
    basis: approvals.Basis | None,
    *,
    actor: Actor,
    override_reason: str,
    body: str,
    phase: str,
    target: Incident | Maintenance,
    now: datetime,
) -> dict[str, str]:
    """The basis to keep in the audit event; records the override when there is one."""
    if basis is None:
        basis = overrides.override_record(
            actor=actor, reason=override_reason, body=body, phase=phase, target=target, now=now
        )
    return basis.as_dict()


# -- component status derivation -------------------------------------------------------


def _recompute_statuses(
    component_ids: Iterable[int], *, now: datetime
) -> dict[int, tuple[str, str]]:
    """Set each component's public status to the worst of what affects it.

    Returns {component_id: (old, new)} for every component whose status changed, and
    writes a history row for each (the uptime bars read those).
    """
    ids = sorted(set(component_ids))
    if not ids:
        return {}
    # Locked in primary-key order so two concurrent writers cannot deadlock.
    components = list(Component.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    from_incidents: dict[int, list[str]] = defaultdict(list)
    for component_id, status in IncidentComponent.objects.filter(
        component_id__in=ids, incident__resolved_at__isnull=True
    ).values_list("component_id", "status"):
        from_incidents[component_id].append(status)
    in_maintenance = set(
        Maintenance.components.through.objects.filter(
            component_id__in=ids, maintenance__status__in=ACTIVE_MAINTENANCE
        ).values_list("component_id", flat=True)
    )
    changes: dict[int, tuple[str, str]] = {}
    history = []
    for component in components:
        statuses = [component.manual_status, *from_incidents[component.pk]]
        if component.pk in in_maintenance:
            statuses.append(ComponentStatus.UNDER_MAINTENANCE)
        new = worst_status(statuses)
        if new != component.status:
            changes[component.pk] = (component.status, new.value)
            component.status = new
            component.save(update_fields=["status", "updated_at"])
            history.append(ComponentStatusChange(component=component, status=new, at=now))
    ComponentStatusChange.objects.bulk_create(history)
    return changes


def _affected_record(
    components: Iterable[Component], changes: Mapping[int, tuple[str, str]]
) -> list[dict[str, str]]:
    """Statuspage's affected_components for an update: every component it names."""
    record = []
    for component in sorted(components, key=lambda c: (c.position, c.name)):
        old, new = changes.get(component.pk, (component.status, component.status))
        record.append(
            {
                "code": component.public_id,
                "name": component.name,
                "old_status": old,
                "new_status": new,
            }
        )
    return record


def _incident_update_write(
    incident: Incident,
    *,
    status: str,
    body: str,
    affected: list[dict[str, str]],
    now: datetime,
    due_at: datetime | None = None,
) -> IncidentUpdate:
    return IncidentUpdate.objects.create(
        incident=incident, status=status, due_at=due_at, **_update_fields(body, affected, now)
    )


def _maintenance_update_write(
    maintenance: Maintenance,
    *,
    status: str,
    body: str,
    affected: list[dict[str, str]],
    now: datetime,
) -> MaintenanceUpdate:
    return MaintenanceUpdate.objects.create(
        maintenance=maintenance, status=status, **_update_fields(body, affected, now)
    )


def _update_fields(body: str, affected: list[dict[str, str]], now: datetime) -> dict[str, Any]:
    """What every public update stores: the Markdown, its sanitised HTML, what it changed."""
    return {
        "body": body,
        "body_html": render_markdown(body),
        "affected_components": affected,
        "created_at": now,
        "display_at": now,
    }


def _public_change(scope: Scope = EVERYTHING) -> None:
    """Every public write calls this inside its transaction, once, with what it touched
    (publish/changes.py; EVERYTHING when the change may show on any page).

    The site version moves in the same transaction as the change, so a publication of
    version N includes every change up to N. After the commit, the live views' cache is
    invalidated and a publish of the static copies is requested.
    """
    site_version_bump(now=timezone.now(), scope=scope)
    transaction.on_commit(public_changed)
    # robust: the change has committed whatever happens; a failure here is only logged.
    transaction.on_commit(request_publish, robust=True)


# -- incidents -------------------------------------------------------------------------


def incident_open(
    *,
    actor: Actor,
    name: str,
    body: str,
    status: str = IncidentStatus.INVESTIGATING,
    impact: str = IncidentImpact.MINOR,
    components: ComponentImpacts | None = None,
    override_reason: str = "",
    now: datetime | None = None,
) -> Incident:
    now = now or timezone.now()
    components = dict(components or {})
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    _check_text(errors, "body", body, MAX_BODY_LENGTH)
    _check_choice(errors, "status", status, IncidentStatus)
    if status == IncidentStatus.RESOLVED:
        errors["status"].append("A new incident cannot start resolved.")
    _check_choice(errors, "impact", impact, IncidentImpact)
    _check_components(errors, components)
    _raise_if(errors)
    phase = wording.incident_phase(status)
    basis = _words_check(body, phase=phase, title=name.strip(), override_reason=override_reason)

    with transaction.atomic():
        incident = Incident.objects.create(
            name=name.strip(),
            status=status,
            impact=impact,
            started_at=now,
            identified_at=now if status == IncidentStatus.IDENTIFIED else None,
            monitoring_at=now if status == IncidentStatus.MONITORING else None,
            created_at=now,
            updated_at=now,
            next_update_due=promise.promise_kept(
                body,
                phase=phase,
                context=_match_context(name.strip()),
                cadence_due=cadence.first_due(opened_at=now, schedule=plan.policy_schedule(impact)),
                now=now,
            ),
        )
        plan.plan_incident(incident, now=now)
        IncidentComponent.objects.bulk_create(
            IncidentComponent(incident=incident, component=c, status=s)
            for c, s in components.items()
        )
        changes = _recompute_statuses((c.pk for c in components), now=now)
        update = _incident_update_write(
            incident,
            status=status,
            body=body,
            affected=_affected_record(components, changes),
            now=now,
        )
        deliveries_create(update=update, component_ids=(c.pk for c in components), now=now)
        audit_record(
            actor=actor,
            action=AuditAction.INCIDENT_OPENED,
            target=incident,
            summary=f"Opened {incident.name!r} ({impact}, {status})",
            at=now,
            data={
                "components": {c.public_id: s for c, s in components.items()},
                "wording": _words_record(
                    basis,
                    actor=actor,
                    override_reason=override_reason,
                    body=body,
                    phase=phase,
                    target=incident,
                    now=now,
                ),
            },
        )
        _public_change(incident_scope(incident.public_id))
    return incident


def update_post(
    *,
    actor: Actor,
    incident: Incident,
    body: str,
    status: str,
    components: ComponentImpacts | None = None,
    impact: str | None = None,
    override_reason: str = "",
    now: datetime | None = None,
) -> IncidentUpdate:
    """Post an update; `components` adds or changes how components are affected.

    Resolving ends the incident's effect on every component, which restores each to the
    worst of whatever else still affects it.
    """
    now = now or timezone.now()
    components = dict(components or {})
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "body", body, MAX_BODY_LENGTH)
    _check_choice(errors, "status", status, IncidentStatus)
    if impact is not None:
        _check_choice(errors, "impact", impact, IncidentImpact)
    _check_components(errors, components)
    _raise_if(errors)
    phase = wording.incident_phase(status)
    basis = _words_check(
        body, phase=phase, title=incident.name, override_reason=override_reason, incident=incident
    )

    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise ValidationError({"status": ["This incident is resolved; open a new one."]})
        for component, component_status in components.items():
            IncidentComponent.objects.update_or_create(
                incident=incident, component=component, defaults={"status": component_status}
            )
        incident.status = status
        incident.updated_at = now
        if impact is not None:
            incident.impact = impact
        if status == IncidentStatus.IDENTIFIED and incident.identified_at is None:
            incident.identified_at = now
        if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
            incident.monitoring_at = now
        if status == IncidentStatus.RESOLVED:
            incident.resolved_at = now
        # The cadence: this update answers the one due; resolving ends the promise.
        was_due = incident.next_update_due
        incident.next_update_due = (
            None
            if status == IncidentStatus.RESOLVED
            else promise.promise_kept(
                body,
                phase=phase,
                context=_match_context(incident.name),
                cadence_due=cadence.due_after_update(
                    previous_due=was_due,
                    posted_at=now,
                    # Updates so far (the opening one and earlier follow-ups): this
                    # follow-up's number.
                    follow_ups=incident.updates.count(),
                    schedule=plan.schedule_for(incident),
                ),
                now=now,
            )
        )
        incident.save()
        plan.plan_incident(incident, now=now)

        named = set(components)
        if status == IncidentStatus.RESOLVED:
            named |= set(incident.components.all())
        changes = _recompute_statuses((c.pk for c in named), now=now)
        update = _incident_update_write(
            incident,
            status=status,
            body=body,
            affected=_affected_record(named, changes),
            now=now,
            due_at=was_due,
        )
        affected_ids = IncidentComponent.objects.filter(incident=incident).values_list(
            "component_id", flat=True
        )
        deliveries_create(update=update, component_ids=affected_ids, now=now)
        resolved = status == IncidentStatus.RESOLVED
        audit_record(
            actor=actor,
            action=AuditAction.INCIDENT_RESOLVED if resolved else AuditAction.INCIDENT_UPDATED,
            target=incident,
            summary=f"{'Resolved' if resolved else 'Updated'} {incident.name!r} ({status})",
            at=now,
            data={
                "update": update.public_id,
                "components": {c.public_id: s for c, s in components.items()},
                **({"impact": impact} if impact else {}),
                "wording": _words_record(
                    basis,
                    actor=actor,
                    override_reason=override_reason,
                    body=body,
                    phase=phase,
                    target=incident,
                    now=now,
                ),
            },
        )
        _public_change(incident_scope(incident.public_id))
    return update


def cadence_override_set(
    *,
    actor: Actor,
    incident: Incident,
    schedule: cadence.Schedule | None,
    now: datetime | None = None,
) -> Incident:
    """Give one incident its own schedule (None: back to its impact's), and move its
    promised next update to what that schedule says, replayed from its history."""
    now = now or timezone.now()
    if schedule is not None:
        _raise_if(defaultdict(list, cadence.schedule_problems(*astuple(schedule))))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise ValidationError({"status": ["This incident is resolved; it has no cadence."]})
        incident.cadence_first_minutes = schedule.first if schedule else None
        incident.cadence_then_minutes = schedule.then if schedule else None
        incident.cadence_every_minutes = schedule.every if schedule else None
        follow_ups = list(
            incident.updates.order_by("created_at", "pk").values_list("created_at", flat=True)
        )[1:]
        incident.next_update_due = cadence.due_from_history(
            opened_at=incident.started_at,
            follow_up_times=follow_ups,
            schedule=plan.schedule_for(incident),
        )
        incident.updated_at = now
        incident.save()
        plan.plan_incident(incident, now=now)
        described = (
            f"{schedule.first}/{schedule.then}/{schedule.every} min" if schedule else "its impact's"
        )
        audit_record(
            actor=actor,
            action=AuditAction.CADENCE_OVERRIDE_SET,
            target=incident,
            summary=f"Cadence of {incident.name!r} set to {described}",
            at=now,
            data={
                "schedule": astuple(schedule) if schedule else None,
                "next_update_due": incident.next_update_due.isoformat(),
            },
        )
        _public_change(incident_scope(incident.public_id))
    return incident


def incident_resolve(
    *,
    actor: Actor,
    incident: Incident,
    body: str,
    override_reason: str = "",
    now: datetime | None = None,
) -> IncidentUpdate:
    return update_post(
        actor=actor,
        incident=incident,
        body=body,
        status=IncidentStatus.RESOLVED,
        override_reason=override_reason,
        now=now,
    )


# -- components ------------------------------------------------------------------------


def component_status_set(
    *, actor: Actor, component: Component, status: str, now: datetime | None = None
) -> Component:
    """Set the status staff chose by hand; incidents and maintenance still lie over it."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = defaultdict(list)
    _check_choice(errors, "status", status, ComponentStatus)
    _raise_if(errors)
    with transaction.atomic():
        locked = Component.objects.select_for_update().get(pk=component.pk)
        old = locked.manual_status
        locked.manual_status = status
        locked.save(update_fields=["manual_status", "updated_at"])
        _recompute_statuses([locked.pk], now=now)
        audit_record(
            actor=actor,
            action=AuditAction.COMPONENT_STATUS_SET,
            target=locked,
            summary=f"Set {locked.name!r} to {status}",
            at=now,
            data={"old": old, "new": status},
        )
        _public_change(SITE_WIDE_ONLY)
    locked.refresh_from_db()
    return locked


def group_create(
    *,
    actor: Actor,
    name: str,
    description: str = "",
    position: int = 0,
    now: datetime | None = None,
) -> ComponentGroup:
    now = now or timezone.now()
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    _check_text(errors, "description", description, MAX_BODY_LENGTH, required=False)
    _raise_if(errors)
    with transaction.atomic():
        group = ComponentGroup.objects.create(
            name=name.strip(), description=description, position=position
        )
        audit_record(
            actor=actor,
            action=AuditAction.GROUP_CREATED,
            target=group,
            summary=f"Created group {group.name!r}",
            at=now,
        )
        _public_change()
    return group


def component_save(
    *,
    actor: Actor,
    name: str,
    description: str = "",
    group: ComponentGroup | None = None,
    position: int = 0,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    component: Component | None = None,
    now: datetime | None = None,
) -> Component:
    """Create a component, or edit one's public details (not its status)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    _check_text(errors, "description", description, MAX_BODY_LENGTH, required=False)
    _raise_if(errors)
    fields = {
        "name": name.strip(),
        "description": description,
        "group": group,
        "position": position,
        "showcase": showcase,
        "only_show_if_degraded": only_show_if_degraded,
    }
    with transaction.atomic():
        if component is None:
            component = Component.objects.create(start_date=now.date(), **fields)
            ComponentStatusChange.objects.create(
                component=component, status=component.status, at=now
            )
            action, verb = AuditAction.COMPONENT_CREATED, "Created"
        else:
            component = Component.objects.select_for_update().get(pk=component.pk)
            for key, value in fields.items():
                setattr(component, key, value)
            component.save()
            action, verb = AuditAction.COMPONENT_EDITED, "Edited"
        audit_record(
            actor=actor,
            action=action,
            target=component,
            summary=f"{verb} component {component.name!r}",
            at=now,
        )
        _public_change()
    return component


# -- maintenance -----------------------------------------------------------------------


def maintenance_schedule(
    *,
    actor: Actor,
    name: str,
    body: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: Iterable[Component] = (),
    auto_start: bool = True,
    auto_complete: bool = True,
    override_reason: str = "",
    now: datetime | None = None,
) -> Maintenance:
    now = now or timezone.now()
    components = list(components)
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    _check_text(errors, "body", body, MAX_BODY_LENGTH)
    if scheduled_until <= scheduled_for:
        errors["scheduled_until"].append("The window must end after it starts.")
    if scheduled_until <= now:
        errors["scheduled_until"].append("The window is already over.")
    _check_components_exist(errors, components)
    _raise_if(errors)
    phase = wording.Phase.MAINTENANCE_SCHEDULED
    basis = _words_check(body, phase=phase, title=name.strip(), override_reason=override_reason)
    with transaction.atomic():
        maintenance = Maintenance.objects.create(
            name=name.strip(),
            scheduled_for=scheduled_for,
            scheduled_until=scheduled_until,
            auto_start=auto_start,
            auto_complete=auto_complete,
            created_at=now,
            updated_at=now,
        )
        maintenance.components.set(components)
        plan.plan_maintenance(maintenance, now=now)
        notice = _maintenance_update_write(
            maintenance,
            status=MaintenanceStatus.SCHEDULED,
            body=body,
            affected=_affected_record(components, {}),
            now=now,
        )
        deliveries_create(update=notice, component_ids=(c.pk for c in components), now=now)
        audit_record(
            actor=actor,
            action=AuditAction.MAINTENANCE_SCHEDULED,
            target=maintenance,
            summary=f"Scheduled {maintenance.name!r} "
            f"{scheduled_for.isoformat()} to {scheduled_until.isoformat()}",
            at=now,
            data={
                "components": [c.public_id for c in components],
                "wording": _words_record(
                    basis,
                    actor=actor,
                    override_reason=override_reason,
                    body=body,
                    phase=phase,
                    target=maintenance,
                    now=now,
                ),
            },
        )
        _public_change(maintenance_scope(maintenance.public_id))
    return maintenance


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


def maintenance_update_post(
    *,
    actor: Actor,
    maintenance: Maintenance,
    body: str,
    status: str,
    override_reason: str = "",
    now: datetime | None = None,
) -> MaintenanceUpdate:
    """Post a maintenance update, moving the window forward (start, verify, complete)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "body", body, MAX_BODY_LENGTH)
    _check_choice(errors, "status", status, MaintenanceStatus)
    _raise_if(errors)
    phase = wording.maintenance_phase(status)
    basis = _words_check(
        body,
        phase=phase,
        title=maintenance.name,
        override_reason=override_reason,
        maintenance=maintenance,
    )
    with transaction.atomic():
        maintenance = Maintenance.objects.select_for_update().get(pk=maintenance.pk)
        current = MaintenanceStatus(maintenance.status)
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
        maintenance.status = status
        maintenance.updated_at = now
        if status == MaintenanceStatus.IN_PROGRESS and maintenance.started_at is None:
            maintenance.started_at = now
        if status == MaintenanceStatus.COMPLETED:
            maintenance.completed_at = now
        maintenance.save()
        plan.cancel_maintenance(maintenance, *_MAINTENANCE_MOOTS.get(status, ()))
        components = list(maintenance.components.all())
        changes = _recompute_statuses((c.pk for c in components), now=now)
        update = _maintenance_update_write(
            maintenance,
            status=status,
            body=body,
            affected=_affected_record(components, changes),
            now=now,
        )
        deliveries_create(update=update, component_ids=(c.pk for c in components), now=now)
        action = (
            AuditAction.MAINTENANCE_CANCELLED
            if cancelled
            else _MAINTENANCE_AUDIT.get(MaintenanceStatus(status), AuditAction.MAINTENANCE_UPDATED)
        )
        audit_record(
            actor=actor,
            action=action,
            target=maintenance,
            summary=f"{action.label}: {maintenance.name!r}",
            at=now,
            data={
                "update": update.public_id,
                "status": status,
                "wording": _words_record(
                    basis,
                    actor=actor,
                    override_reason=override_reason,
                    body=body,
                    phase=phase,
                    target=maintenance,
                    now=now,
                ),
            },
        )
        _public_change(maintenance_scope(maintenance.public_id))
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


def maintenance_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Start windows that are due and complete those that are over (the beat task).

    Each window is moved by its own lifecycle call, so a failure on one leaves the others
    and the audit log consistent; re-running the sweep is harmless. The words are the
    approved template of the phase; with none approved, the window is left for staff
    ("blocked" counts those), since nothing unapproved is published, not even by beat.
    """
    now = now or timezone.now()
    actor = Actor.system("beat")
    started = completed = blocked = 0
    due_to_start = Maintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED,
        auto_start=True,
        scheduled_for__lte=now,
        scheduled_until__gt=now,
    )
    for maintenance in due_to_start:
        body = maintenance_words(maintenance, phase=wording.Phase.MAINTENANCE_STARTED)
        if body is None:
            blocked += 1
            continue
        try:
            maintenance_update_post(
                actor=actor,
                maintenance=maintenance,
                body=body,
                status=MaintenanceStatus.IN_PROGRESS,
                now=now,
            )
            started += 1
        except ValidationError:
            continue  # moved by someone else meanwhile
    due_to_complete = Maintenance.objects.filter(
        status__in=[*ACTIVE_MAINTENANCE, MaintenanceStatus.SCHEDULED],
        auto_complete=True,
        scheduled_until__lte=now,
    )
    for maintenance in due_to_complete:
        body = maintenance_words(maintenance, phase=wording.Phase.MAINTENANCE_COMPLETED)
        if body is None:
            blocked += 1
            continue
        try:
            maintenance_update_post(
                actor=actor,
                maintenance=maintenance,
                body=body,
                status=MaintenanceStatus.COMPLETED,
                now=now,
            )
            completed += 1
        except ValidationError:
            continue
    result = {"started": started, "completed": completed}
    return {**result, "blocked": blocked} if blocked else result
