"""What every public write ends with: the update row, the subscribers' messages, the
audit event, and the public change (site version, cache, publish)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.audit import Actor, audit_record
from incidents.lifecycle.checks import Words
from incidents.models import (
    AuditAction,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
)
from incidents.notify.costs.gate import notify_send
from incidents.public.cache import public_changed
from incidents.publish.changes import EVERYTHING, Scope
from incidents.publish.trigger import request_publish
from incidents.publish.versions import site_version_bump
from incidents.rendering import render_markdown


def update_fields(body: str, affected: list[dict[str, str]], now: datetime) -> dict[str, Any]:
    """What every public update stores: the Markdown, its sanitised HTML, what it changed."""
    return {
        "body": body,
        "body_html": render_markdown(body),
        "affected_components": affected,
        "created_at": now,
        "display_at": now,
    }


def incident_update_write(
    incident: Incident,
    *,
    status: str,
    body: str,
    affected: list[dict[str, str]],
    now: datetime,
    due_at: datetime | None = None,
    public_id: str = "",
) -> IncidentUpdate:
    given = {"public_id": public_id} if public_id else {}
    return IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        due_at=due_at,
        **given,
        **update_fields(body, affected, now),
    )


def maintenance_update_write(
    maintenance: Maintenance,
    *,
    status: str,
    body: str,
    affected: list[dict[str, str]],
    now: datetime,
) -> MaintenanceUpdate:
    return MaintenanceUpdate.objects.create(
        maintenance=maintenance, status=status, **update_fields(body, affected, now)
    )


def public_change(scope: Scope = EVERYTHING) -> None:
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


def update_published(
    *,
    actor: Actor,
    update: IncidentUpdate | MaintenanceUpdate,
    target: Incident | Maintenance,
    words: Words,
    component_ids: Iterable[int],
    notify: str,
    confirm_sms_cost: Decimal | None,
    action: AuditAction,
    summary: str,
    data: dict[str, Any],
    scope: Scope,
    now: datetime,
) -> None:
    """The tail of every post written by staff: the update's subscriber messages, then the
    audit event (`data` plus who was told, "notify", and why the words may be published,
    "wording", recording an override), then the public change. Inside the transaction."""
    sent = notify_send(
        actor=actor,
        update=update,
        component_ids=component_ids,
        scope=notify,
        confirmed_cost=confirm_sms_cost,
        now=now,
    )
    audit_record(
        actor=actor,
        action=action,
        target=target,
        summary=summary,
        at=now,
        data={**data, "notify": sent, "wording": words.record(actor=actor, target=target, now=now)},
    )
    public_change(scope)
