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

Each update's subscriber messages are written by notify.costs.gate.notify_send in the same
transaction: `notify` chooses everyone, email and chat only, or nobody, and above the
Admin's SMS cost cap a post needs `confirm_sms_cost` (docs/design.md, "Notifications").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import astuple
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents import cadence, wording
from incidents.audit import Actor, audit_record
from incidents.cadence import promise
from incidents.enqueue import Fallback, enqueue_on_commit
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
    MaintenanceComponent,
    MaintenanceImpact,
    MaintenanceStatus,
    MaintenanceUpdate,
    NotifyScope,
    worst_status,
)
from incidents.models.maintenance import MAX_PRIOR_MINUTES
from incidents.notify.costs.gate import notify_send, scope_check
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
    from_incidents: dict[int, list[str]] = defaultdict(list)  # and from windows
    for component_id, status in IncidentComponent.objects.filter(
        component_id__in=ids, incident__resolved_at__isnull=True
    ).values_list("component_id", "status"):
        from_incidents[component_id].append(status)
    # A running window lays its expected impact over the component ("no visible impact"
    # is operational, so it changes nothing).
    for component_id, impact in MaintenanceComponent.objects.filter(
        component_id__in=ids, maintenance__status__in=ACTIVE_MAINTENANCE
    ).values_list("component_id", "impact"):
        known = impact in MaintenanceImpact.values  # else a row written by hand
        from_incidents[component_id].append(
            impact if known else MaintenanceImpact.UNDER_MAINTENANCE
        )
    changes: dict[int, tuple[str, str]] = {}
    history = []
    for component in components:
        statuses = [component.manual_status, *from_incidents[component.pk]]
        new = worst_status(statuses)
        if new != component.status:
            changes[component.pk] = (component.status, new.value)
            component.status = new
            component.save(update_fields=["status", "updated_at"])
            history.append(ComponentStatusChange(component=component, status=new, at=now))
    ComponentStatusChange.objects.bulk_create(history)
    if changes:
        # Whoever changed them, what depends on them may be affected (dependencies/).
        enqueue_on_commit(
            "incidents.tasks.impact_propagate", sorted(changes), fallback=Fallback.HERE
        )
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
    notify: str = NotifyScope.ALL,
    confirm_sms_cost: Decimal | None = None,
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
    scope_check(notify)
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
        sent = notify_send(
            actor=actor,
            update=update,
            component_ids=(c.pk for c in components),
            scope=notify,
            confirmed_cost=confirm_sms_cost,
            now=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.INCIDENT_OPENED,
            target=incident,
            summary=f"Opened {incident.name!r} ({impact}, {status})",
            at=now,
            data={
                "components": {c.public_id: s for c, s in components.items()},
                "notify": sent,
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
    notify: str = NotifyScope.ALL,
    confirm_sms_cost: Decimal | None = None,
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
    scope_check(notify)
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
        sent = notify_send(
            actor=actor,
            update=update,
            component_ids=affected_ids,
            scope=notify,
            confirmed_cost=confirm_sms_cost,
            now=now,
        )
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
                "notify": sent,
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
    notify: str = NotifyScope.ALL,
    confirm_sms_cost: Decimal | None = None,
    now: datetime | None = None,
) -> IncidentUpdate:
    return update_post(
        actor=actor,
        incident=incident,
        body=body,
        status=IncidentStatus.RESOLVED,
        override_reason=override_reason,
        notify=notify,
        confirm_sms_cost=confirm_sms_cost,
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


MaintenanceComponents = Iterable[Component] | Mapping[Component, str]


def _impacts_of(components: MaintenanceComponents) -> dict[Component, str]:
    """Each component's expected impact; a plain list puts them all under maintenance."""
    if isinstance(components, Mapping):
        return dict(components)
    return dict.fromkeys(components, MaintenanceImpact.UNDER_MAINTENANCE)


def _check_impacts(errors: dict[str, list[str]], impacts: Mapping[Component, str]) -> None:
    _check_components_exist(errors, impacts)
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
    now: datetime | None = None,
) -> Maintenance:
    """Announce a window. `components` maps each to its expected impact (a plain list:
    under maintenance); subscribers are reminded `notify_prior_minutes` before it starts
    (None: not), and told when it starts and completes unless told otherwise."""
    now = now or timezone.now()
    impacts = _impacts_of(components)
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    _check_text(errors, "body", body, MAX_BODY_LENGTH)
    if scheduled_until <= scheduled_for:
        errors["scheduled_until"].append("The window must end after it starts.")
    if scheduled_until <= now:
        errors["scheduled_until"].append("The window is already over.")
    if notify_prior_minutes is not None and not 1 <= notify_prior_minutes <= MAX_PRIOR_MINUTES:
        errors["notify_prior_minutes"].append(
            f"Between 1 and {MAX_PRIOR_MINUTES} minutes (a week), or empty for no reminder."
        )
    _check_impacts(errors, impacts)
    _raise_if(errors)
    scope_check(notify)
    phase = wording.Phase.MAINTENANCE_SCHEDULED
    basis = _words_check(body, phase=phase, title=name.strip(), override_reason=override_reason)
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
        MaintenanceComponent.objects.bulk_create(
            MaintenanceComponent(maintenance=maintenance, component=c, impact=impact)
            for c, impact in impacts.items()
        )
        plan.plan_maintenance(maintenance, now=now)
        notice = _maintenance_update_write(
            maintenance,
            status=MaintenanceStatus.SCHEDULED,
            body=body,
            affected=_affected_record(impacts, {}),
            now=now,
        )
        sent = notify_send(
            actor=actor,
            update=notice,
            component_ids=(c.pk for c in impacts),
            scope=notify,
            confirmed_cost=confirm_sms_cost,
            now=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.MAINTENANCE_SCHEDULED,
            target=maintenance,
            summary=f"Scheduled {maintenance.name!r} "
            f"{scheduled_for.isoformat()} to {scheduled_until.isoformat()}",
            at=now,
            data={
                "components": {c.public_id: impact for c, impact in impacts.items()},
                "notices": {
                    "prior_minutes": notify_prior_minutes,
                    "start": notify_start,
                    "end": notify_end,
                },
                "notify": sent,
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

# Re-evaluates the signals of components whose window ended (ingest/automation.py).
COMPONENTS_EVALUATE_TASK = "incidents.tasks.components_evaluate"


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
    errors: dict[str, list[str]] = defaultdict(list)
    _check_text(errors, "body", body, MAX_BODY_LENGTH)
    _check_choice(errors, "status", status, MaintenanceStatus)
    _raise_if(errors)
    scope_check(notify)
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
        changes = _recompute_statuses((c.pk for c in components), now=now)
        update = _maintenance_update_write(
            maintenance,
            status=status,
            body=body,
            affected=_affected_record(components, changes),
            now=now,
        )
        if now >= maintenance.scheduled_until or status == MaintenanceStatus.COMPLETED:
            # Past its scheduled end, each update moves the promise as an incident's does.
            maintenance.next_update_due = _overrun_due(maintenance, now=now)
            maintenance.save(update_fields=["next_update_due"])
        if status != MaintenanceStatus.COMPLETED:
            plan.plan_maintenance(maintenance, now=now)
        plan.cancel_maintenance(maintenance, *_MAINTENANCE_MOOTS.get(status, ()))
        # A start or end notice the maintenance opted out of is published but not sent.
        sent = notify_send(
            actor=actor,
            update=update,
            component_ids=(c.pk for c in components),
            scope=notify if notifies else NotifyScope.NONE,
            confirmed_cost=confirm_sms_cost,
            now=now,
        )
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
                "subscribers_notified": notifies,
                "next_update_due": maintenance.next_update_due.isoformat()
                if maintenance.next_update_due and now >= maintenance.scheduled_until
                else None,
                "notify": sent,
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
        if status == MaintenanceStatus.COMPLETED and components:
            # Alerts still firing when the window ends are evaluated at once: an outage
            # that outlives its maintenance is not missed (the ingest sweep also would).
            ids = sorted(c.pk for c in components)
            enqueue_on_commit(COMPONENTS_EVALUATE_TASK, ids, fallback=Fallback.HERE)
    return update


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
            **_update_fields(announcement.body, announcement.affected_components, now),
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
        _public_change(maintenance_scope(maintenance.public_id))
    return due


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
