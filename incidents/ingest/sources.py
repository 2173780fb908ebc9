"""Registering monitor sources and their routing rules: audited writes for the console."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.audit import Actor, audit_record
from incidents.ingest import auth, routing
from incidents.models import AuditAction, Component, MatchKind, RoutingRule, Source

SETTINGS = (
    "can_propose", "can_set_status", "can_open", "rate_per_second", "burst",
    "hold_seconds", "hold_count", "recover_seconds", "flap_changes", "flap_window_seconds",
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
