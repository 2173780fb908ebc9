"""Audiences of what the page shows: who may read a component, an incident or a
maintenance window, and words for one audience inside a timeline (docs/design.md,
"Audiences"; the rules that read them are audiences/visibility.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import wording
from incidents.audit import Actor, audit_record
from incidents.lifecycle.checks import MAX_BODY_LENGTH, Errors, check_text, raise_if, words_check
from incidents.lifecycle.posting import (
    incident_update_write,
    maintenance_update_write,
    public_change,
    update_published,
)
from incidents.models import (
    Audience,
    AuditAction,
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    NotifyScope,
)
from incidents.publish.changes import incident_scope, maintenance_scope

Limited = Component | Incident | Maintenance


def audiences_set(
    *, actor: Actor, target: Limited, audiences: Sequence[Audience], now: datetime | None = None
) -> bool:
    """Limit a component, incident or window to `audiences` (empty: public again); False
    when it already was. What was told before stays told: this decides what is shown and
    sent from now on."""
    now = now or timezone.now()
    wanted = {a.pk for a in audiences}
    with transaction.atomic():
        locked = type(target).objects.select_for_update().get(pk=target.pk)
        had = set(locked.audiences.values_list("pk", flat=True))
        if had == wanted:
            return False
        locked.audiences.set(audiences)
        slugs = sorted(a.slug for a in audiences)
        audit_record(
            actor=actor,
            action=AuditAction.VISIBILITY_SET,
            target=locked,
            summary=f"{type(locked).__name__} {locked.name!r} shown to "
            + (", ".join(slugs) if slugs else "the public"),
            at=now,
            data={"audiences": slugs},
        )
        public_change()  # any page may show it (a component colours every page)
    return True


def audience_words_post(
    *,
    actor: Actor,
    target: Incident | Maintenance,
    audience: Audience,
    body: str,
    override_reason: str = "",
    notify: str = NotifyScope.ALL,
    now: datetime | None = None,
) -> IncidentUpdate | MaintenanceUpdate:
    """Words for one audience's readers in a timeline, checked by the wording policy and
    approvals as any update: they keep the current status, components and promise (the
    public timeline moves only by public updates), and go to that audience's subscribers."""
    now = now or timezone.now()
    errors: Errors = defaultdict(list)
    check_text(errors, "body", body, MAX_BODY_LENGTH)
    raise_if(errors)
    owners = set(target.audiences.values_list("pk", flat=True))
    if owners and audience.pk not in owners:
        raise ValidationError(
            {"audience": ["This is limited to other audiences: its readers could not read it."]}
        )
    if isinstance(target, Incident):
        if not target.is_open:
            raise ValidationError({"status": ["This incident is resolved; open a new one."]})
        phase = wording.incident_phase(target.status)
        words = words_check(
            body, phase=phase, title=target.name, override_reason=override_reason, incident=target
        )
    else:
        phase = wording.maintenance_phase(target.status)
        words = words_check(
            body,
            phase=phase,
            title=target.name,
            override_reason=override_reason,
            maintenance=target,
        )
    with transaction.atomic():
        update: IncidentUpdate | MaintenanceUpdate
        if isinstance(target, Incident):
            update = incident_update_write(
                target, status=target.status, body=body, affected=[], now=now
            )
        else:
            update = maintenance_update_write(
                target, status=target.status, body=body, affected=[], now=now
            )
        update.audience = audience
        update.save(update_fields=["audience"])
        update_published(
            actor=actor,
            update=update,
            target=target,
            words=words,
            component_ids=target.components.values_list("pk", flat=True),
            notify=notify,
            confirm_sms_cost=None,
            action=AuditAction.INCIDENT_UPDATED
            if isinstance(target, Incident)
            else AuditAction.MAINTENANCE_UPDATED,
            summary=f"Words for audience {audience.slug} on {target.name!r}",
            data={"update": update.public_id, "audience": audience.slug},
            scope=incident_scope(target.public_id)
            if isinstance(target, Incident)
            else maintenance_scope(target.public_id),
            now=now,
        )
    return update
