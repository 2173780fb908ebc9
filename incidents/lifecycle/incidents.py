"""Incidents: opening one, posting its updates (resolving is the last), and its own
update cadence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import cadence, wording
from incidents.audit import Actor, audit_record
from incidents.cadence import promise
from incidents.lifecycle.checks import (
    MAX_BODY_LENGTH,
    MAX_NAME_LENGTH,
    ComponentImpacts,
    Errors,
    check_choice,
    check_components,
    check_text,
    match_context,
    raise_if,
    words_check,
)
from incidents.lifecycle.posting import incident_update_write, public_change, update_published
from incidents.lifecycle.statuses import affected_record, recompute_statuses
from incidents.models import (
    Audience,
    AuditAction,
    Incident,
    IncidentComponent,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    NotifyScope,
)
from incidents.notify.costs.gate import scope_check
from incidents.publish.changes import incident_scope
from incidents.reminders import plan


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
    audiences: Sequence[Audience] = (),
    now: datetime | None = None,
) -> Incident:
    """Open an incident; with `audiences`, it is shown and told to their readers only
    (docs/design.md, "Audiences")."""
    now = now or timezone.now()
    components = dict(components or {})
    errors: Errors = defaultdict(list)
    check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    check_text(errors, "body", body, MAX_BODY_LENGTH)
    check_choice(errors, "status", status, IncidentStatus)
    if status == IncidentStatus.RESOLVED:
        errors["status"].append("A new incident cannot start resolved.")
    check_choice(errors, "impact", impact, IncidentImpact)
    check_components(errors, components)
    raise_if(errors)
    scope_check(notify)
    phase = wording.incident_phase(status)
    words = words_check(body, phase=phase, title=name.strip(), override_reason=override_reason)

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
                context=match_context(name.strip()),
                cadence_due=cadence.first_due(opened_at=now, schedule=plan.policy_schedule(impact)),
                now=now,
            ),
        )
        if audiences:  # before the update's messages, which read whom the incident is for
            incident.audiences.set(audiences)
        plan.plan_incident(incident, now=now)
        IncidentComponent.objects.bulk_create(
            IncidentComponent(incident=incident, component=c, status=s)
            for c, s in components.items()
        )
        changes = recompute_statuses((c.pk for c in components), now=now)
        update = incident_update_write(
            incident,
            status=status,
            body=body,
            affected=affected_record(components, changes),
            now=now,
        )
        update_published(
            actor=actor,
            update=update,
            target=incident,
            words=words,
            component_ids=(c.pk for c in components),
            notify=notify,
            confirm_sms_cost=confirm_sms_cost,
            action=AuditAction.INCIDENT_OPENED,
            summary=f"Opened {incident.name!r} ({impact}, {status})",
            data={
                "components": {c.public_id: s for c, s in components.items()},
                **({"audiences": sorted(a.slug for a in audiences)} if audiences else {}),
            },
            scope=incident_scope(incident.public_id),
            now=now,
        )
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
    public_id: str = "",
) -> IncidentUpdate:
    """Post an update; `components` adds or changes how components are affected.
    `public_id`: the id it already has on the page (an out-of-band update's).

    Resolving ends the incident's effect on every component, which restores each to the
    worst of whatever else still affects it.
    """
    now = now or timezone.now()
    components = dict(components or {})
    errors: Errors = defaultdict(list)
    check_text(errors, "body", body, MAX_BODY_LENGTH)
    check_choice(errors, "status", status, IncidentStatus)
    if impact is not None:
        check_choice(errors, "impact", impact, IncidentImpact)
    check_components(errors, components)
    raise_if(errors)
    scope_check(notify)
    phase = wording.incident_phase(status)
    words = words_check(
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
                context=match_context(incident.name),
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
        changes = recompute_statuses((c.pk for c in named), now=now)
        update = incident_update_write(
            incident,
            status=status,
            body=body,
            affected=affected_record(named, changes),
            now=now,
            due_at=was_due,
            public_id=public_id,
        )
        resolved = status == IncidentStatus.RESOLVED
        update_published(
            actor=actor,
            update=update,
            target=incident,
            words=words,
            component_ids=IncidentComponent.objects.filter(incident=incident).values_list(
                "component_id", flat=True
            ),
            notify=notify,
            confirm_sms_cost=confirm_sms_cost,
            action=AuditAction.INCIDENT_RESOLVED if resolved else AuditAction.INCIDENT_UPDATED,
            summary=f"{'Resolved' if resolved else 'Updated'} {incident.name!r} ({status})",
            data={
                "update": update.public_id,
                "components": {c.public_id: s for c, s in components.items()},
                **({"impact": impact} if impact else {}),
            },
            scope=incident_scope(incident.public_id),
            now=now,
        )
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
        raise_if(defaultdict(list, cadence.schedule_problems(*astuple(schedule))))
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
        public_change(incident_scope(incident.public_id))
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
