"""The Admin's writes about audiences: defining them, inviting readers by email, revoking
members and invitations. Each checks the permission itself (the console and the staff API
both call here), validates what any client may send, and is audited."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import (
    Audience,
    AudienceMember,
    AuditAction,
    ReaderInvitation,
)
from incidents.notify.addresses import email_normalise
from incidents.text import text_problem

SLUG_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"  # models/audiences.py's SLUG
MAX_GROUPS = 100
MAX_NETWORKS = 100


def slug_clean(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError({"slug": "Give the audience a slug, such as customer-acme."})
    if len(value) > 63 or not re.fullmatch(SLUG_PATTERN, value):
        raise ValidationError(
            {
                "slug": "A slug is 1 to 63 lower-case letters, digits and hyphens, starting "
                "with a letter or digit."
            }
        )
    return value


def groups_clean(values: object) -> list[str]:
    """Group names as the provider sends them (case and spaces kept), one per entry."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError({"oidc_groups": "Give the groups as a list of names."})
    if len(values) > MAX_GROUPS:
        raise ValidationError({"oidc_groups": f"At most {MAX_GROUPS} groups."})
    groups: list[str] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        if problem := text_problem(value, max_len=255):
            raise ValidationError({"oidc_groups": f"Group {value[:40]!r}: {problem}"})
        if value not in groups:
            groups.append(value)
    return groups


def allowlist_clean(values: object) -> list[str]:
    """CIDR networks (IPv4 or IPv6); a bare address is its own /32 or /128. Host bits
    set are refused rather than guessed at: 10.1.2.3/8 is a typo for something."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError({"ip_allowlist": "Give the networks as a list of CIDRs."})
    if len(values) > MAX_NETWORKS:
        raise ValidationError({"ip_allowlist": f"At most {MAX_NETWORKS} networks."})
    networks: list[str] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        shown = value[:50]
        if len(value) > 50 or text_problem(value):
            raise ValidationError({"ip_allowlist": f"{shown!r} is not a network."})
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValidationError(
                {"ip_allowlist": f"{shown!r} is not a network such as 203.0.113.0/24 ({exc})."}
            ) from None
        if str(network) not in networks:
            networks.append(str(network))
    return networks


def _words_clean(name: object, description: object) -> tuple[str, str]:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Give the audience a name."})
    if problem := text_problem(name.strip(), max_len=200):
        raise ValidationError({"name": f"The name: {problem}"})
    if not isinstance(description, str):
        raise ValidationError({"description": "The description is text."})
    if problem := text_problem(description, max_len=2000, multiline=True):
        raise ValidationError({"description": f"The description: {problem}"})
    return name.strip(), description.strip()


def audience_create(
    *,
    actor: Actor,
    slug: object,
    name: object,
    description: object = "",
    oidc_groups: object = (),
    ip_allowlist: object = (),
    now: datetime,
) -> Audience:
    roles.require_permission(actor, roles.MANAGE_ROLES)
    slug = slug_clean(slug)
    name, description = _words_clean(name, description)
    groups = groups_clean(list(oidc_groups) if isinstance(oidc_groups, tuple) else oidc_groups)
    networks = allowlist_clean(
        list(ip_allowlist) if isinstance(ip_allowlist, tuple) else ip_allowlist
    )
    if Audience.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"An audience already has the slug {slug}."})
    try:
        with transaction.atomic():
            audience = Audience.objects.create(
                slug=slug,
                name=name,
                description=description,
                oidc_groups=groups,
                ip_allowlist=networks,
            )
            audit_record(
                actor=actor,
                action=AuditAction.AUDIENCE_CREATED,
                target=audience,
                summary=f"Audience {name} ({slug}) created",
                at=now,
                data={"oidc_groups": groups, "ip_allowlist": networks},
            )
    except IntegrityError:  # the same slug, created at the same moment
        raise ValidationError({"slug": f"An audience already has the slug {slug}."}) from None
    return audience


def audience_edit(
    *,
    actor: Actor,
    audience: Audience,
    name: object,
    description: object,
    oidc_groups: object,
    ip_allowlist: object,
    now: datetime,
) -> Audience:
    """Everything but the slug, which is in URLs and snapshot paths once published."""
    roles.require_permission(actor, roles.MANAGE_ROLES)
    name, description = _words_clean(name, description)
    groups = groups_clean(oidc_groups)
    networks = allowlist_clean(ip_allowlist)
    before = {
        "name": audience.name,
        "oidc_groups": audience.oidc_groups,
        "ip_allowlist": audience.ip_allowlist,
    }
    with transaction.atomic():
        audience.name, audience.description = name, description
        audience.oidc_groups, audience.ip_allowlist = groups, networks
        audience.save(update_fields=["name", "description", "oidc_groups", "ip_allowlist"])
        audit_record(
            actor=actor,
            action=AuditAction.AUDIENCE_EDITED,
            target=audience,
            summary=f"Audience {name} ({audience.slug}) edited",
            at=now,
            data={"before": before, "oidc_groups": groups, "ip_allowlist": networks},
        )
    return audience


def email_clean(value: object) -> str:
    if not isinstance(value, str) or len(value) > 254 or text_problem(value):
        raise ValidationError({"email": "Enter a valid email address, such as ada@example.com."})
    try:
        return email_normalise(value)
    except ValidationError:
        raise ValidationError(
            {"email": "Enter a valid email address, such as ada@example.com."}
        ) from None


def reader_invite(
    *, actor: Actor, audience: Audience, email: object, now: datetime
) -> ReaderInvitation:
    """Invite an address (again): the invitation stands until revoked, and a link valid
    CANDOR_READER_INVITE_SECONDS goes out. Inviting a revoked reader again lets them back."""
    roles.require_permission(actor, roles.MANAGE_ROLES)
    address = email_clean(email)
    with transaction.atomic():
        invitation, _ = ReaderInvitation.objects.update_or_create(
            audience=audience,
            email=address,
            defaults={"invited_by": actor.user, "created_at": now, "revoked_at": None},
        )
        audit_record(
            actor=actor,
            action=AuditAction.READER_INVITED,
            target=invitation,
            summary=f"{address} invited to read {audience.name}",
            at=now,
            data={"audience": audience.slug, "email": address},
        )
        enqueue_on_commit(
            "incidents.tasks.reader_link_send",
            address,
            settings.CANDOR_READER_INVITE_SECONDS,
            audience.pk,
            fallback=Fallback.HERE,
        )
    return invitation


def invitation_revoke(*, actor: Actor, invitation: ReaderInvitation, now: datetime) -> None:
    """The address may no longer ask for links; links already sent stop signing in to
    this audience (links.link_open reads standing invitations and memberships)."""
    roles.require_permission(actor, roles.MANAGE_ROLES)
    with transaction.atomic():
        ReaderInvitation.objects.filter(pk=invitation.pk).update(revoked_at=now)
        audit_record(
            actor=actor,
            action=AuditAction.READER_INVITATION_REVOKED,
            target=invitation,
            summary=f"Invitation of {invitation.email} to {invitation.audience.name} revoked",
            at=now,
            data={"audience": invitation.audience.slug, "email": invitation.email},
        )


def member_revoke(*, actor: Actor, member: AudienceMember, now: datetime) -> None:
    """The reader no longer reads this audience: their sessions lose it at their next
    request (session.session_refresh). A reader invited by email also loses the
    invitation, so no old link gives it back; a new invitation does. A reader who came
    through single sign-on is read again from their groups at their next sign-on: the
    provider's groups are the truth there, so keep someone out by changing them."""
    roles.require_permission(actor, roles.MANAGE_ROLES)
    reader = member.reader
    with transaction.atomic():
        AudienceMember.objects.filter(pk=member.pk).update(revoked_at=now)
        if not reader.issuer:
            ReaderInvitation.objects.filter(
                audience_id=member.audience_id, email=reader.email, revoked_at__isnull=True
            ).update(revoked_at=now)
        audit_record(
            actor=actor,
            action=AuditAction.AUDIENCE_MEMBER_REVOKED,
            target=reader,
            summary=f"{reader.email or reader.subject} may no longer read {member.audience.name}",
            at=now,
            data={"audience": member.audience.slug, "via": member.via},
        )
