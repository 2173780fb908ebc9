"""Registering monitor sources and their routing rules: audited writes for the console;
and the endpoint's lookup of a source by name, which keeps a copy for a moment."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.ingest import auth, routing
from incidents.models import (
    AuditAction,
    Component,
    MatchKind,
    Proposal,
    ProposalState,
    RoutingRule,
    SignalStatus,
    Source,
    WindowSignals,
)

SETTINGS = (
    "can_propose", "can_set_status", "can_open", "rate_per_second", "burst",
    "hold_seconds", "hold_count", "recover_seconds", "flap_changes", "flap_window_seconds",
    "during_maintenance",
)  # fmt: skip


def source_create(
    *,
    actor: Actor,
    name: str,
    format: str,
    signed: bool = False,
    now: datetime | None = None,
    **settings: Any,
) -> tuple[Source, str]:
    """A new source and its token, which the caller shows once (only its hash is kept)."""
    now = now or timezone.now()
    if Source.objects.filter(name=name).exists():
        raise ValidationError({"name": ["A source with this name exists."]})
    token, digest = auth.new_token()
    with transaction.atomic():
        source = Source.objects.create(
            name=name,
            format=format,
            token_hash=digest,
            signing_secret=auth.new_signing_secret() if signed else "",
            created_at=now,
            token_rotated_at=now,
            **{k: v for k, v in settings.items() if k in SETTINGS},
        )
        audit_record(
            actor=actor,
            action=AuditAction.SOURCE_SAVED,
            target=source,
            summary=f"Registered monitor source {name!r} ({format})",
            at=now,
            data={k: getattr(source, k) for k in SETTINGS},
        )
    return source, token


def source_update(
    *, actor: Actor, source: Source, now: datetime | None = None, **settings: Any
) -> Source:
    now = now or timezone.now()
    with transaction.atomic():
        source = Source.objects.select_for_update().get(pk=source.pk)
        if settings.get("during_maintenance", WindowSignals.RECORD) not in WindowSignals.values:
            raise ValidationError({"during_maintenance": ["Either record or mute."]})
        for key in SETTINGS:
            if key in settings:
                setattr(source, key, settings[key])
        source.save()
        audit_record(
            actor=actor,
            action=AuditAction.SOURCE_SAVED,
            target=source,
            summary=f"Changed monitor source {source.name!r}",
            at=now,
            data={k: getattr(source, k) for k in SETTINGS},
        )
    return source


def source_rotate_token(
    *, actor: Actor, source: Source, now: datetime | None = None
) -> tuple[Source, str]:
    """A new token (and signing secret, if the source signs); the old ones stop working."""
    now = now or timezone.now()
    token, digest = auth.new_token()
    with transaction.atomic():
        source = Source.objects.select_for_update().get(pk=source.pk)
        source.token_hash = digest
        if source.signing_secret:
            source.signing_secret = auth.new_signing_secret()
        source.token_rotated_at = now
        source.save()
        audit_record(
            actor=actor,
            action=AuditAction.SOURCE_TOKEN_ROTATED,
            target=source,
            summary=f"Rotated the token of {source.name!r}",
            at=now,
        )
    return source, token


def source_delete(*, actor: Actor, source: Source, now: datetime | None = None) -> None:
    """Delete a monitor source (Admins): its token and signing secret stop working at once.

    Deleted rather than retired, because nothing that must be kept needs the row:
      - routing rules are its configuration, and go with it;
      - signals are state, not history (one row per alert, holding only its last few
        transitions), and go with it. The components they held are re-evaluated by the
        ingest sweep (every 10 s) as if those alerts had resolved: they recover, leave a
        pending proposal, and incidents the source opened get a proposal to resolve them.
        A status the source set on a component stays until someone changes it: what the
        public page says is for a responder to decide, not a side effect of cleaning up;
      - proposals stay, published, dismissed or pending, without their source (the
        model's SET_NULL), so a responder still decides the pending ones;
      - the audit log names sources in text, so every event stays readable; this one
        records the source's settings and what went with it.
    Its name is free again for a new source. Another web process may accept its token
    for up to SOURCE_TTL more, and then fails to store (the database has no such source).
    """
    roles.require_permission(actor, roles.REMOVE_SOURCES)
    now = now or timezone.now()
    with transaction.atomic():
        # Locked first: a request storing signals for it finishes before, or finds it gone.
        source = Source.objects.select_for_update().get(pk=source.pk)
        gone = source_footprint(source)
        name = source.name
        audit_record(
            actor=actor,
            action=AuditAction.SOURCE_DELETED,
            target=source,
            summary=f"Deleted monitor source {name!r} ({source.format})",
            at=now,
            data={"format": source.format, **{k: getattr(source, k) for k in SETTINGS}, **gone},
        )
        source.delete()
        transaction.on_commit(lambda: _SOURCES.pop(name, None))


def source_footprint(source: Source) -> dict[str, int]:
    """What deleting the source takes with it, and the pending proposals it leaves."""
    signals = source.signals.aggregate(
        signals=Count("pk"), firing=Count("pk", filter=Q(status=SignalStatus.FIRING))
    )
    return {
        **signals,
        "rules": source.rules.count(),
        "pending_proposals": Proposal.objects.filter(
            source=source, state=ProposalState.PENDING
        ).count(),
    }


# How long a process trusts its copy of a source (see source_lookup).
SOURCE_TTL = 2.0
_SOURCES: dict[str, tuple[float, Source]] = {}


def source_lookup(name: str, *, fresh: bool = False) -> Source | None:
    """The source, from this process's copy if it is under SOURCE_TTL old.

    Under a storm this saves the endpoint a query per request. A copy is only trusted
    while the request's credentials match it: a mismatch reads the source again before
    refusing, so a new token works at once; an old one keeps working at most SOURCE_TTL
    longer, as do changed settings. Deleting a source drops this process's copy."""
    hit = _SOURCES.get(name)
    if hit is not None and not fresh and time.monotonic() - hit[0] < SOURCE_TTL:
        return hit[1]
    found = Source.objects.filter(name=name).first()
    if found is None:
        _SOURCES.pop(name, None)
    else:
        _SOURCES[name] = (time.monotonic(), found)
    return found


def rule_add(
    *,
    actor: Actor,
    source: Source,
    kind: str,
    label: str = "",
    pattern: str = "",
    component: Component | None = None,
    status: str = "",
    position: int = 0,
    now: datetime | None = None,
) -> RoutingRule:
    now = now or timezone.now()
    errors: dict[str, list[str]] = defaultdict(list)
    if kind != MatchKind.SERVICE:
        if not label:
            errors["label"].append("Name the label to match.")
        if component is None:
            errors["component"].append("Choose the component it routes to.")
        if kind == MatchKind.REGEX and (problem := routing.regex_problem(pattern)):
            errors["pattern"].append(problem)
    if any(errors.values()):
        raise ValidationError(dict(errors))
    with transaction.atomic():
        rule = RoutingRule.objects.create(
            source=source,
            kind=kind,
            label=label,
            pattern=pattern,
            component=component if kind != MatchKind.SERVICE else None,
            status=status,
            position=position,
        )
        audit_record(
            actor=actor,
            action=AuditAction.ROUTING_RULE_ADDED,
            target=source,
            summary=f"Routing rule for {source.name!r}: {rule}",
            at=now,
            data={"rule": rule.pk, "component": component.public_id if component else None},
        )
    return rule


def rule_remove(*, actor: Actor, rule: RoutingRule, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.ROUTING_RULE_REMOVED,
            target=rule.source,
            summary=f"Removed routing rule of {rule.source.name!r}: {rule}",
            at=now,
            data={"rule": rule.pk},
        )
        rule.delete()
