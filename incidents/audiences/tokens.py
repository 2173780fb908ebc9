"""Audience tokens for machine readers of an audience's v2 JSON (models/audience_tokens.py).

Created and revoked by Admins (console and staff API), each change audited; the token is
returned once by `token_create` and only its sha256 is kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.audit import Actor, audit_record
from incidents.models import Audience, AudienceToken, AuditAction
from incidents.text import text_problem

# Marks the token as ours in logs and secret scanners.
TOKEN_PREFIX = "cat_"  # noqa: S105 (a prefix, not a secret)
LABEL_MAX = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    token: AudienceToken
    secret: str  # shown once


def token_create(*, audience: Audience, label: str, actor: Actor, now: datetime) -> Created:
    problem = text_problem(label, max_len=LABEL_MAX, multiline=False)
    if problem or not label.strip():
        raise ValidationError({"label": problem or "Name the token (who or what reads with it)."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = AudienceToken.objects.create(
            audience=audience,
            label=label.strip(),
            token_hash=token_hash(secret),
            prefix=secret[:12],
            created_at=now,
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action=AuditAction.AUDIENCE_TOKEN_CREATED,
            target=token,
            summary=f"Token {token.label!r} created for audience {audience.slug}",
            at=now,
            data={"audience": audience.slug, "prefix": token.prefix},
        )
    return Created(token, secret)


def token_revoke(*, token: AudienceToken, actor: Actor, now: datetime) -> bool:
    """Revoke a token; False if it already was."""
    with transaction.atomic():
        revoked = AudienceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if not revoked:
            return False
        audit_record(
            actor=actor,
            action=AuditAction.AUDIENCE_TOKEN_REVOKED,
            target=token,
            summary=f"Token {token.label!r} of audience {token.audience.slug} revoked",
            at=now,
            data={"audience": token.audience.slug, "prefix": token.prefix},
        )
    return True


def token_audience_id(secret: str) -> int | None:
    """The audience a presented token reads as; None for an unknown or revoked one."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return (
        AudienceToken.objects.filter(token_hash=token_hash(secret), revoked_at__isnull=True)
        .values_list("audience_id", flat=True)
        .first()
    )
