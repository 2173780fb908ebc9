"""Sign-in links sent by email, for readers without single sign-on.

A link is `/reader/link/<token>/`, the token signed with the site's key (a forged or
altered one is refused before any lookup) and naming a ReaderLink row whose secret only
the email holds (a hash is stored). It signs in once (claimed with an update that only
one request can win) until it expires. Opening it shows a button: mail scanners that
fetch every link in a message do not spend it.

Who may have a link is decided when it is sent, in the task (`link_send`): the public
"send me a new link" form answers the same for every address, and does the same work
for every address in the request, so neither its words nor its timing tell who is
invited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import (
    Audience,
    AudienceMember,
    Reader,
    ReaderInvitation,
    ReaderLink,
    ReaderVia,
)
from incidents.notify.links import app_absolute
from incidents.notify.render import words_once
from incidents.notify.transports.email import email_send
from incidents.ratelimit import window_hit

SALT = "candor.readers.link"
MAX_TOKEN = 300  # a real token is about 80 characters
# The "send me a new link" form: per address (hashed) and per client address, an hour.
LINKS_PER_EMAIL = 3
REQUESTS_PER_IP = 20


class LinkRefused(Exception):
    """The link does not sign in; the message is for the person holding it."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_request(*, email: str, ip: str) -> bool:
    """Someone asks for a new link for `email` (already normalised). False when this
    client has asked too often (the form says so); otherwise the same for every address."""
    if window_hit(f"candor:reader-link:ip:{ip}", seconds=3600) > REQUESTS_PER_IP:
        return False
    digest = hashlib.sha256(email.encode()).hexdigest()
    if window_hit(f"candor:reader-link:email:{digest}", seconds=3600) > LINKS_PER_EMAIL:
        return True  # said the same; an inbox is not flooded
    with transaction.atomic():
        enqueue_on_commit(
            "incidents.tasks.reader_link_send",
            email,
            settings.CANDOR_READER_LINK_SECONDS,
            None,
            fallback=Fallback.HERE,
        )
    return True


def link_send(*, email: str, seconds: int, audience_id: int | None, now: datetime) -> str:
    """Send `email` a new link if an invitation of theirs stands; what happened, for the
    task's result (never shown to the person who asked)."""
    invitations = ReaderInvitation.objects.filter(email=email, revoked_at__isnull=True)
    if audience_id is not None:
        invitations = invitations.filter(audience_id=audience_id)
    invitation = invitations.select_related("audience").first()
    if invitation is None:
        return "not invited"
    secret = secrets.token_urlsafe(24)
    link = ReaderLink.objects.create(
        email=email,
        secret_hash=_hash(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )
    token = signing.dumps([link.pk, secret], salt=SALT)
    context = {
        "page": settings.CANDOR_PAGE_NAME,
        "audience": invitation.audience.name if audience_id is not None else "",
        "url": app_absolute(reverse("readers:link", args=[token])),
        "valid_for": _duration(seconds),
    }
    email_send(
        to=email,
        subject=words_once("email/reader_link_subject.txt", context),
        body=words_once("email/reader_link.txt", context),
    )
    return "sent"


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minutes = seconds // 60
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _link_of(token: str) -> tuple[ReaderLink, str]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise LinkRefused(_("This sign-in link is not valid."))
    try:
        pk, secret = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkRefused(_("This sign-in link is not valid.")) from None
    link = ReaderLink.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if (
        link is None
        or not isinstance(secret, str)
        or not hmac.compare_digest(link.secret_hash, _hash(secret))
    ):
        raise LinkRefused(_("This sign-in link is not valid."))
    return link, secret


def link_check(*, token: str, now: datetime) -> ReaderLink:
    """The link, if it can still sign in (the page that shows the button)."""
    link, _secret = _link_of(token)
    _usable(link, now)
    return link


def _usable(link: ReaderLink, now: datetime) -> None:
    if link.used_at is not None:
        raise LinkRefused(_("This sign-in link has already been used. Ask for a new one below."))
    if link.expires_at <= now:
        raise LinkRefused(_("This sign-in link has expired. Ask for a new one below."))


@dataclass(frozen=True)
class LinkSignIn:
    reader: Reader
    audiences: list[str]


def link_open(*, token: str, now: datetime | None = None) -> LinkSignIn:
    """Spend the link: the reader's standing invitations become memberships, and the
    reader signs in to every audience they read. Refused (LinkRefused) when forged,
    used, expired, or when nothing is left to read."""
    now = now or timezone.now()
    link, _secret = _link_of(token)
    _usable(link, now)
    with transaction.atomic():
        # Only one request spends it, however many arrive at once.
        if not ReaderLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
            raise LinkRefused(
                _("This sign-in link has already been used. Ask for a new one below.")
            )
        reader, _created = Reader.objects.get_or_create(
            issuer="", email=link.email, defaults={"created_at": now}
        )
        for invitation in ReaderInvitation.objects.filter(
            email=link.email, revoked_at__isnull=True
        ):
            AudienceMember.objects.update_or_create(
                audience_id=invitation.audience_id,
                reader=reader,
                defaults={"via": ReaderVia.LINK, "revoked_at": None},
                create_defaults={"via": ReaderVia.LINK, "created_at": now},
            )
            if invitation.accepted_at is None:
                ReaderInvitation.objects.filter(pk=invitation.pk).update(accepted_at=now)
        audiences = sorted(
            Audience.objects.filter(
                members__reader=reader, members__revoked_at__isnull=True
            ).values_list("slug", flat=True)
        )
    if not audiences:
        raise LinkRefused(
            _("This address is no longer invited to read any page here. Ask whoever invited you.")
        )
    return LinkSignIn(reader=reader, audiences=audiences)
