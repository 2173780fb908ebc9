"""Registering a staff account to post by SMS and email, and checking what a message
carries. The PIN and the secret are random, shown once, and stored only as hashes (the
password hasher), so a copy of the database does not let anyone post."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.models import AuditAction, InboundPoster
from incidents.notify.addresses import email_normalise, phone_normalise

PIN_DIGITS = 8


@dataclass(frozen=True)
class Issued:
    """What the person is told once: their PIN (SMS) and secret (email)."""

    poster: InboundPoster
    pin: str
    secret: str


def register(*, actor: Actor, user: User, phone: str = "", email: str = "") -> Issued:
    """Register `user` (who must be able to post updates) with a new PIN and secret; a
    second registration replaces the first's number, address, PIN and secret."""
    roles.require_permission(actor, roles.MANAGE_ROLES)
    if not user.is_active or not user.has_perm(roles.POST_UPDATES):
        raise ValidationError(f"{user.get_username()} cannot post updates.")
    phone = phone_normalise(phone)[0] if phone.strip() else ""
    email = email_normalise(email) if email.strip() else ""
    if not phone and not email:
        raise ValidationError("Give a phone number, an email address, or both.")
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    secret = secrets.token_urlsafe(18)
    now = timezone.now()
    with transaction.atomic():
        taken = InboundPoster.objects.exclude(user=user)
        if phone and taken.filter(phone=phone).exists():
            raise ValidationError(f"{phone} is registered to someone else.")
        if email and taken.filter(email__iexact=email).exists():
            raise ValidationError(f"{email} is registered to someone else.")
        poster, _created = InboundPoster.objects.update_or_create(
            user=user,
            defaults={
                "phone": phone,
                "email": email,
                "pin_hash": make_password(pin),
                "secret_hash": make_password(secret),
                "created_at": now,
            },
        )
        audit_record(
            actor=actor,
            action=AuditAction.POSTER_REGISTERED,
            target=user,
            summary=f"{user.get_username()} may post by SMS ({phone or 'no phone'}) and "
            f"email ({email or 'no address'})",
            at=now,
        )
    return Issued(poster=poster, pin=pin, secret=secret)


def unregister(*, actor: Actor, user: User) -> bool:
    roles.require_permission(actor, roles.MANAGE_ROLES)
    with transaction.atomic():
        deleted, _ = InboundPoster.objects.filter(user=user).delete()
        if deleted:
            audit_record(
                actor=actor,
                action=AuditAction.POSTER_REMOVED,
                target=user,
                summary=f"{user.get_username()} may no longer post by SMS and email",
                at=timezone.now(),
            )
    return bool(deleted)


def pin_matches(poster: InboundPoster, pin: str) -> bool:
    return bool(poster.pin_hash) and check_password(pin, poster.pin_hash)


def secret_matches(poster: InboundPoster, secret: str) -> bool:
    return bool(poster.secret_hash) and check_password(secret, poster.secret_hash)
