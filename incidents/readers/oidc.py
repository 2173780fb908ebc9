"""Readers through OpenID Connect: a second mozilla-django-oidc client, separate from the
staff one (its own issuer, client, secret and scopes, CANDOR_READER_OIDC_*).

The staff client's checks are reused as they are (incidents/sso_oidc.py: discovery at
every sign-in, PKCE, state, nonce, the ID token's signature, issuer and audience); what
differs is what a verified sign-in gives: no staff account, but a Reader matched by
issuer and subject, whose audiences are read from their groups through
Audience.oidc_groups at every sign-in. The library's settings it reads for itself (the
callback URL, the scopes) are answered with the reader client's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.utils import import_from_settings

from incidents.audit import Actor, audit_record
from incidents.models import Audience, AudienceMember, AuditAction, Reader, ReaderVia
from incidents.sso import IdentityProvider, SsoRefused
from incidents.sso_oidc import CandorOidcBackend
from incidents.text import printable, text_problem

MAX_GROUPS = 500

CALLBACK = "readers:oidc_callback"


def enabled() -> bool:
    return bool(settings.CANDOR_READER_OIDC_ISSUER)


def reader_setting(attr: str, *args: Any) -> Any:
    """What mozilla-django-oidc reads from settings, answered for the reader client."""
    own = {
        "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK,
        "OIDC_RP_SCOPES": settings.CANDOR_READER_OIDC_SCOPES,
        "OIDC_RP_CLIENT_ID": settings.CANDOR_READER_OIDC_CLIENT_ID,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
    }
    if attr in own:
        return own[attr]
    return import_from_settings(attr, *args)


@dataclass(frozen=True)
class ReaderClaims:
    issuer: str
    subject: str
    email: str
    name: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class OidcSignIn:
    reader: Reader
    audiences: list[str]


class ReaderOidcClient(CandorOidcBackend):
    """Completes a reader's sign-in at readers:oidc_callback. Not an authentication
    backend (it is not in AUTHENTICATION_BACKENDS): it logs nobody in to Django; the
    view writes the reader's session with what it found (`signed_in`)."""

    get_settings = staticmethod(reader_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.CANDOR_READER_OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.CANDOR_READER_OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.OIDC_OP_TOKEN_ENDPOINT = self.OIDC_OP_JWKS_ENDPOINT = ""
        self.OIDC_OP_USER_ENDPOINT = ""
        self._issuer = ""
        self.signed_in: OidcSignIn | None = None

    def configured_issuer(self) -> str:
        return str(settings.CANDOR_READER_OIDC_ISSUER)

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        info: dict[str, Any] = {}
        if self.OIDC_OP_USER_ENDPOINT:
            answer = self.get_userinfo(access_token, id_token, payload)
            info = answer if isinstance(answer, dict) else {}
        if info.get("sub", payload.get("sub")) != payload.get("sub"):
            raise SsoRefused(_("The identity provider described another account. Start again."))
        claims = claims_clean(self._issuer, {**payload, **info, "sub": payload.get("sub")})
        self.signed_in = reader_oidc_sign_in(claims=claims, now=timezone.now())
        return None


def _text(value: object, max_len: int) -> str:
    if not isinstance(value, str):
        return ""
    return printable(value[:max_len], multiline=False).strip()


def claims_clean(issuer: str, raw: Mapping[str, object]) -> ReaderClaims:
    """What Candor keeps of the claims, whatever the provider sent; only the subject, the
    reader's key, must be exact."""
    subject = raw.get("sub")
    if not isinstance(subject, str) or not subject or text_problem(subject, max_len=255):
        raise SsoRefused(_("The identity provider sent an unusable account identifier."))
    email = _text(raw.get("email"), 254)
    if email and (text_problem(email) or "@" not in email or " " in email):
        email = ""
    groups_claim = raw.get(settings.CANDOR_READER_OIDC_GROUPS_CLAIM)
    groups: tuple[str, ...] = ()
    if isinstance(groups_claim, list):
        groups = tuple(g for g in groups_claim[:MAX_GROUPS] if isinstance(g, str) and len(g) <= 255)
    return ReaderClaims(issuer, subject, email, _text(raw.get("name"), 150), groups)


def audiences_for(groups: tuple[str, ...]) -> list[Audience]:
    """The audiences whose OIDC groups the reader is in (a few rows: read them all)."""
    mine = set(groups)
    return [a for a in Audience.objects.all() if mine.intersection(a.oidc_groups or [])]


def reader_oidc_sign_in(*, claims: ReaderClaims, now: datetime) -> OidcSignIn:
    """The reader for these claims (created at the first sign-in), their memberships set
    to what their groups give now. Refused when the groups give no audience."""
    audiences = audiences_for(claims.groups)
    with transaction.atomic():
        reader, _created = Reader.objects.update_or_create(
            issuer=claims.issuer,
            subject=claims.subject,
            defaults={"email": claims.email, "name": claims.name},
            create_defaults={
                "email": claims.email,
                "name": claims.name,
                "created_at": now,
            },
        )
        # Groups are the truth for these readers: a group left takes its audience away.
        AudienceMember.objects.filter(reader=reader).exclude(audience__in=audiences).delete()
        for audience in audiences:
            AudienceMember.objects.update_or_create(
                audience=audience,
                reader=reader,
                defaults={"via": ReaderVia.OIDC, "revoked_at": None},
                create_defaults={"via": ReaderVia.OIDC, "created_at": now},
            )
    if not audiences:
        raise SsoRefused(
            _(
                "Your account at the identity provider is in no group that may read a page "
                "here. Ask whoever manages your access."
            )
        )
    return OidcSignIn(reader=reader, audiences=sorted(a.slug for a in audiences))


def refusal_record(*, reason: str, ip: str | None, via: ReaderVia, now: datetime) -> None:
    """A reader's sign-in that did not happen: the provider refused or failed, or a link
    was forged, spent or expired."""
    reason = printable(reason[:250], multiline=False)
    audit_record(
        actor=Actor(label="reader", channel="reader", ip=ip),
        action=AuditAction.READER_REFUSED,
        target=IdentityProvider(pk=(settings.CANDOR_READER_OIDC_ISSUER or "link")[:100]),
        summary=f"Reader sign-in ({ReaderVia(via).label.lower()}) refused: {reason}",
        at=now,
        data={"reason": reason, "via": str(via)},
    )
