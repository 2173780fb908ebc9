"""The reader's session: the `candor_reader` key, the contract with incidents/audiences/.

`candor_reader` = {"email", "audiences" (slugs), "via" ("oidc" | "link"), "expires_at"
(ISO-8601 UTC)}: written at sign-in, and nothing else tells the audience rules who is
reading. Beside it, `candor_reader_pk` names the Reader row, so that each request can
check the memberships still stand (`session_refresh`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest

from incidents.audit import Actor, audit_record
from incidents.client_address import client_address
from incidents.models import AudienceMember, AuditAction, Reader, ReaderVia

SESSION_KEY = "candor_reader"
READER_PK_KEY = "candor_reader_pk"


def session_start(
    *, request: HttpRequest, reader: Reader, audiences: list[str], via: ReaderVia, now: datetime
) -> dict[str, Any]:
    """Sign the reader in: a new session key first (a key planted in the browser before
    sign-in is then worth nothing), then the reader's key, audited."""
    expires_at = now + timedelta(seconds=settings.CANDOR_READER_SESSION_SECONDS)
    value = {
        "email": reader.email,
        "audiences": sorted(audiences),
        "via": str(via),
        "expires_at": expires_at.astimezone(UTC).isoformat(),
    }
    request.session.cycle_key()
    request.session[SESSION_KEY] = value
    request.session[READER_PK_KEY] = reader.pk
    Reader.objects.filter(pk=reader.pk).update(last_sign_in_at=now)
    audit_record(
        actor=Actor(
            label=f"reader:{reader.email or reader.subject}"[:150],
            channel="reader",
            ip=client_address(request),
        ),
        action=AuditAction.READER_SIGNED_IN,
        target=reader,
        summary=f"{reader.email or reader.subject} signed in as a reader "
        f"({via.label.lower()}) to {', '.join(value['audiences'])}",
        at=now,
        data={"via": str(via), "audiences": value["audiences"]},
    )
    return value


def session_end(*, request: HttpRequest, now: datetime) -> bool:
    """Sign the reader out (a staff login in the same browser stays). False if none was."""
    value = request.session.pop(SESSION_KEY, None)
    pk = request.session.pop(READER_PK_KEY, None)
    if value is None:
        return False
    request.session.cycle_key()
    reader = Reader.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if reader is not None:
        audit_record(
            actor=Actor(
                label=f"reader:{reader.email or reader.subject}"[:150],
                channel="reader",
                ip=client_address(request),
            ),
            action=AuditAction.READER_SIGNED_OUT,
            target=reader,
            summary=f"{reader.email or reader.subject} signed out",
            at=now,
        )
    return True


def session_refresh(*, request: HttpRequest, now: datetime) -> None:
    """Keep `candor_reader` true to the database: gone once expired, once its reader is
    gone or revoked from every audience; a revoked audience leaves the list."""
    value = request.session.get(SESSION_KEY)
    if value is None:
        return
    pk = request.session.get(READER_PK_KEY)
    expires_at = _expiry(value)
    if not isinstance(pk, int) or expires_at is None or expires_at <= now:
        _forget(request)
        return
    try:
        standing = set(
            AudienceMember.objects.filter(reader_id=pk, revoked_at__isnull=True).values_list(
                "audience__slug", flat=True
            )
        )
    except (OperationalError, InterfaceError):
        # The database is down: the session stands as it was checked last (a revocation
        # takes effect when it is back), so the reader keeps their audience's private
        # copy (audiences/viewer.py) instead of an error page.
        return
    audiences = [slug for slug in value.get("audiences", []) if slug in standing]
    if not audiences:
        _forget(request)
    elif audiences != value.get("audiences"):
        request.session[SESSION_KEY] = {**value, "audiences": audiences}


def _expiry(value: object) -> datetime | None:
    if not isinstance(value, dict) or not isinstance(value.get("expires_at"), str):
        return None
    try:
        expires_at = datetime.fromisoformat(value["expires_at"])
    except ValueError:
        return None
    return expires_at if expires_at.tzinfo is not None else None


def _forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(READER_PK_KEY, None)
