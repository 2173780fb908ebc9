"""Components and their groups: creating and editing them, and the status staff set by
hand."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.audit import Actor, audit_record
from incidents.lifecycle.checks import (
    MAX_BODY_LENGTH,
    MAX_NAME_LENGTH,
    Errors,
    check_choice,
    check_text,
    raise_if,
)
from incidents.lifecycle.posting import public_change
from incidents.lifecycle.statuses import recompute_statuses
from incidents.models import (
    AuditAction,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
)
from incidents.publish.changes import SITE_WIDE_ONLY


def component_status_set(
    *, actor: Actor, component: Component, status: str, now: datetime | None = None
) -> Component:
    """Set the status staff chose by hand; incidents and maintenance still lie over it."""
    now = now or timezone.now()
    errors: Errors = defaultdict(list)
    check_choice(errors, "status", status, ComponentStatus)
    raise_if(errors)
    with transaction.atomic():
        locked = Component.objects.select_for_update().get(pk=component.pk)
        old = locked.manual_status
        locked.manual_status = status
        locked.save(update_fields=["manual_status", "updated_at"])
        recompute_statuses([locked.pk], now=now)
        audit_record(
            actor=actor,
            action=AuditAction.COMPONENT_STATUS_SET,
            target=locked,
            summary=f"Set {locked.name!r} to {status}",
            at=now,
            data={"old": old, "new": status},
        )
        public_change(SITE_WIDE_ONLY)
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
    errors: Errors = defaultdict(list)
    check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    check_text(errors, "description", description, MAX_BODY_LENGTH, required=False)
    raise_if(errors)
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
        public_change()
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
    errors: Errors = defaultdict(list)
    check_text(errors, "name", name, MAX_NAME_LENGTH, multiline=False)
    check_text(errors, "description", description, MAX_BODY_LENGTH, required=False)
    raise_if(errors)
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
        public_change()
    return component
