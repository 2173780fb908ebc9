"""Staff's writes around the cadence that the public never sees: schedules per impact,
contacts, incident owners, acknowledgements. Each validates, writes in one transaction
and records the audit event, like lifecycle's."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import astuple
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from incidents import cadence
from incidents.audit import Actor, audit_record
from incidents.models import (
    AuditAction,
    CadencePolicy,
    Contact,
    Incident,
    IncidentImpact,
    Reminder,
)
from incidents.text import text_errors

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def cadence_policy_set(
    *, actor: Actor, impact: str, schedule: cadence.Schedule, now: datetime | None = None
) -> CadencePolicy:
    """Set the schedule for incidents of `impact`; it applies from their next update."""
    now = now or timezone.now()
    problems = cadence.schedule_problems(*astuple(schedule))
    if impact not in IncidentImpact.values:
        problems["impact"] = [f"{impact!r} is not one of: {', '.join(IncidentImpact.values)}."]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        policy, _ = CadencePolicy.objects.update_or_create(
            impact=impact,
            defaults={
                "first_minutes": schedule.first,
                "then_minutes": schedule.then,
                "every_minutes": schedule.every,
                "updated_at": now,
            },
        )
        audit_record(
            actor=actor,
            action=AuditAction.CADENCE_POLICY_SET,
            target=policy,
            summary=f"Cadence for {impact} incidents set to "
            f"{schedule.first}/{schedule.then}/{schedule.every} min",
            at=now,
            data={"impact": impact, "schedule": astuple(schedule)},
        )
    return policy


def contact_save(
    *,
    actor: Actor,
    name: str,
    email: str = "",
    phone: str = "",
    on_call: bool = False,
    escalation_rank: int | None = None,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Contact:
    """Add a contact, or edit one."""
    now = now or timezone.now()
    name, email, phone = name.strip(), email.strip(), phone.strip().replace(" ", "")
    errors = text_errors(single_line={"name": name, "email": email})
    if not name:
        errors["name"] = ["This field is required."]
    if email and "email" not in errors:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid email address."]
    if phone and not E164.match(phone):
        errors["phone"] = ["Use the international format, e.g. +14155550100."]
    if not email and not phone:
        errors["email"] = ["Give an email address, a phone number, or both."]
    if escalation_rank is not None:
        taken = Contact.objects.filter(escalation_rank=escalation_rank)
        if contact is not None:
            taken = taken.exclude(pk=contact.pk)
        if escalation_rank < 1:
            errors["escalation_rank"] = ["Ranks start at 1."]
        elif taken.exists():
            errors["escalation_rank"] = [f"Rank {escalation_rank} is already someone's."]
    if errors:
        raise ValidationError(errors)
    fields = {
        "name": name,
        "email": email,
        "phone": phone,
        "on_call": on_call,
        "escalation_rank": escalation_rank,
    }
    with transaction.atomic():
        if contact is None:
            contact = Contact.objects.create(created_at=now, **fields)
        else:
            Contact.objects.filter(pk=contact.pk).update(**fields)
            contact.refresh_from_db()
        audit_record(
            actor=actor,
            action=AuditAction.CONTACT_SAVED,
            target=contact,
            summary=f"Saved contact {name!r}",
            at=now,
            data={k: v for k, v in fields.items() if k != "name"},
        )
    return contact


def incident_owners_set(
    *, actor: Actor, incident: Incident, owners: Iterable[Contact], now: datetime | None = None
) -> list[Contact]:
    now = now or timezone.now()
    owners = list(owners)
    with transaction.atomic():
        incident.owners.set(owners)
        audit_record(
            actor=actor,
            action=AuditAction.INCIDENT_OWNERS_SET,
            target=incident,
            summary=f"Owners of {incident.name!r}: "
            + (", ".join(c.name for c in owners) or "nobody (the on-call list is reminded)"),
            at=now,
            data={"owners": [c.public_id for c in owners]},
        )
    return owners


def reminder_acknowledge(*, actor: Actor, reminder: Reminder, now: datetime | None = None) -> bool:
    """Record that someone has the reminder in hand; False if it already was."""
    now = now or timezone.now()
    with transaction.atomic():
        first = Reminder.objects.filter(pk=reminder.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor.label[:150]
        )
        if first:
            audit_record(
                actor=actor,
                action=AuditAction.REMINDER_ACKNOWLEDGED,
                target=reminder,
                summary=f"Acknowledged reminder {reminder.public_id} ({reminder.kind})",
                at=now,
                data={"channel": actor.channel},
            )
    reminder.refresh_from_db()
    return bool(first)
