"""Staff single sign-on, the provider-independent part: who a provider's claims are, which
roles their groups give, who may still sign in with a password, and whether sign-ins
have been failing.

Accounts are matched by issuer and subject (SsoIdentity), never by email. Roles are
re-applied at every sign-in from CANDOR_OIDC_ROLES; groups that give no role keep the
person out. While SSO is required only accounts an Admin marked break-glass (with
two-factor login) sign in with a password, so a provider that is down never locks
everyone out. The audit log is the record of successes and failures: the console's
banner reads the last of each from it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import django_otp
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.models import AuditAction, AuditEvent, SsoIdentity
from incidents.text import printable, text_problem

SESSION_KEY = "candor_sso"  # set in a session signed in through the provider
MAX_GROUPS = 500  # more than anyone's real list; a bigger one is cut, not stored


class SsoRefused(Exception):
    """The provider answered, but this sign-in is refused; the message is for the person."""


class ProviderDown(Exception):
    """The provider did not answer, or answered with an error (discovery, JWKS, token)."""


@dataclass(frozen=True)
class IdentityProvider:
    """The audit target of a failure that has no account yet."""

    pk: str


@dataclass(frozen=True)
class Claims:
    issuer: str
    subject: str
    username: str
    email: str
    name: str
    groups: tuple[str, ...]


def enabled() -> bool:
    return bool(settings.CANDOR_OIDC_ISSUER)


def required() -> bool:
    return enabled() and bool(settings.CANDOR_SSO_REQUIRED)


def session_from_sso(request: HttpRequest) -> bool:
    """Signed in through the provider, whose own sign-in stands for the second factor."""
    return bool(request.session.get(SESSION_KEY, False))


def is_break_glass(user: User) -> bool:
    return user.groups.filter(name=roles.BREAK_GLASS).exists()


def local_sign_in_refusal(user: User) -> str | None:
    """Why this account may not sign in with a password now, or None if it may."""
    if not required():
        return None
    if not is_break_glass(user):
        return (
            "This account signs in through single sign-on. Only break-glass accounts may "
            "sign in with a password while single sign-on is on."
        )
    if not django_otp.user_has_device(user):
        return (
            "Break-glass sign-in takes two-factor login: sign in through single sign-on "
            "once and set it up, or ask an Admin."
        )
    return None


def role_map() -> dict[str, list[str]]:
    """CANDOR_OIDC_ROLES as {group: [role, ...]}; a role Candor does not have is an error."""
    mapping: dict[str, list[str]] = {}
    for group, role in settings.CANDOR_OIDC_ROLES:
        if role not in roles.ROLES:
            raise ImproperlyConfigured(
                f"CANDOR_OIDC_ROLES: {role!r} is not a role ({', '.join(roles.ROLES)})"
            )
        mapping.setdefault(group, []).append(role)
    return mapping


def mapped_roles(groups: Iterable[str]) -> list[str]:
    mapping = role_map()
    return sorted({role for group in groups for role in mapping.get(group, [])})


# -- claims ---------------------------------------------------------------------------------

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def claims_clean(issuer: str, raw: Mapping[str, object]) -> Claims:
    """The claims Candor keeps, made safe: whatever the provider sent (control characters,
    a megabyte of name, a number where text belongs). Only the subject must be exact: it
    is the account's key, so a subject that is not plain text is refused, not repaired."""
    subject = raw.get("sub")
    if not isinstance(subject, str) or not subject or text_problem(subject, max_len=255):
        raise SsoRefused("The identity provider sent an unusable account identifier.")
    email = _text(raw.get("email"), 254)
    if email and (text_problem(email) or "@" not in email or " " in email):
        email = ""
    name = _text(raw.get("name"), 150)
    preferred = _text(raw.get("preferred_username"), 150) or email.partition("@")[0]
    username = _USERNAME_UNSAFE.sub("", preferred)[:120]
    groups_claim = raw.get(settings.CANDOR_OIDC_GROUPS_CLAIM)
    groups: tuple[str, ...] = ()
    if isinstance(groups_claim, list):
        groups = tuple(g for g in groups_claim[:MAX_GROUPS] if isinstance(g, str) and len(g) <= 255)
    return Claims(issuer, subject, username, email, name, groups)


def _text(value: object, max_len: int) -> str:
    if not isinstance(value, str):
        return ""
    return printable(value[:max_len], multiline=False).strip()


# -- signing in -----------------------------------------------------------------------------


def sign_in(*, claims: Claims, ip: str | None, now: datetime | None = None) -> User:
    """The staff account for these claims, its roles set from their groups; created at the
    first sign-in. Refused (SsoRefused) when the groups give no role: the account then
    keeps no role either, so a stale session cannot keep acting on what was withdrawn."""
    now = now or timezone.now()
    wanted = mapped_roles(claims.groups)
    identity = (
        SsoIdentity.objects.select_related("user")
        .filter(issuer=claims.issuer, subject=claims.subject)
        .first()
    )
    if not wanted:
        if identity is not None:
            _roles_apply(identity.user, [])
        raise SsoRefused(
            "Your identity provider account is in no group that gives a console role. "
            "Ask an Admin to add you to one."
        )
    with transaction.atomic():
        if identity is None:
            user = User.objects.create_user(_free_username(claims), email=claims.email)
            user.set_unusable_password()  # a password would be a way around the provider
            identity = SsoIdentity(
                user=user,
                issuer=claims.issuer,
                subject=claims.subject,
                created_at=now,
                last_sign_in_at=now,
            )
        user = identity.user
        if not user.is_active:
            raise SsoRefused("This console account is disabled. Ask an Admin.")
        user.email, user.first_name, user.is_staff = claims.email, claims.name, True
        user.save()
        identity.last_sign_in_at = now
        identity.save()
        _roles_apply(user, wanted)
        audit_record(
            actor=Actor(label=user.username, channel="console", user=user, ip=ip),
            action=AuditAction.SSO_SIGNED_IN,
            target=user,
            summary=f"{user.username} signed in through single sign-on as {', '.join(wanted)}",
            at=now,
            data={"issuer": claims.issuer, "subject": claims.subject, "roles": wanted},
        )
    return user


def _roles_apply(user: User, wanted: list[str]) -> None:
    keep = user.groups.exclude(name__in=roles.ROLES)
    user.groups.set([*keep, *Group.objects.filter(name__in=wanted)])


def _free_username(claims: Claims) -> str:
    """The provider's username if no account has it: an existing local account of that
    name is someone else's until an Admin says otherwise (never matched by name or email)."""
    digest = hashlib.sha256(f"{claims.issuer}\0{claims.subject}".encode()).hexdigest()[:8]
    base = claims.username or f"sso-{digest}"
    if not User.objects.filter(username=base).exists():
        return base
    return f"{base}-{digest}"


# -- failures and health --------------------------------------------------------------------


def refusal_record(
    *, reason: str, ip: str | None, subject: str = "", now: datetime | None = None
) -> None:
    """A sign-in the provider answered but Candor refused (no role, a token that did not
    verify, the person cancelled)."""
    _failure(AuditAction.SSO_REFUSED, reason=reason, ip=ip, subject=subject, now=now)


def provider_failure_record(*, reason: str, ip: str | None, now: datetime | None = None) -> None:
    """The provider could not be reached or answered with an error: what the banner shows."""
    _failure(AuditAction.SSO_PROVIDER_FAILED, reason=reason, ip=ip, subject="", now=now)


def _failure(
    action: AuditAction, *, reason: str, ip: str | None, subject: str, now: datetime | None
) -> None:
    reason = printable(reason[:250], multiline=False)
    audit_record(
        actor=Actor(label="sso", channel="console", ip=ip),
        action=action,
        target=IdentityProvider(pk=settings.CANDOR_OIDC_ISSUER[:100]),
        summary=f"Single sign-on: {reason}",
        at=now or timezone.now(),
        data={"reason": reason, "subject": printable(subject[:255], multiline=False)},
    )


@dataclass(frozen=True)
class Health:
    last_success: datetime | None
    last_failure: datetime | None
    last_failure_reason: str

    @property
    def failing(self) -> bool:
        """The provider's last answer was a failure, not followed by a sign-in."""
        if self.last_failure is None:
            return False
        return self.last_success is None or self.last_failure > self.last_success


def health() -> Health:
    success = (
        AuditEvent.objects.filter(action=AuditAction.SSO_SIGNED_IN)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    failure = (
        AuditEvent.objects.filter(action=AuditAction.SSO_PROVIDER_FAILED).order_by("-at").first()
    )
    return Health(
        last_success=success,
        last_failure=failure.at if failure else None,
        last_failure_reason=str(failure.data.get("reason", "")) if failure else "",
    )


# -- break-glass ----------------------------------------------------------------------------


def break_glass_set(*, actor: Actor, user: User, on: bool, now: datetime | None = None) -> None:
    """Mark (or unmark) an account as one that signs in with a password while SSO is on."""
    roles.require_permission(actor, roles.MANAGE_ROLES)
    group, _ = Group.objects.get_or_create(name=roles.BREAK_GLASS)
    with transaction.atomic():
        if on:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        audit_record(
            actor=actor,
            action=AuditAction.BREAK_GLASS_SET,
            target=user,
            summary=f"{user.username} {'may' if on else 'may no longer'} sign in with a "
            "password while single sign-on is on (break-glass)",
            at=now or timezone.now(),
        )
