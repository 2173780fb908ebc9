"""Who may post to a source: its bearer token, or an HMAC signature of the body.

Tokens are 32 random bytes shown once; only their sha256 is stored, and comparison is
constant-time. A signed request carries `X-Candor-Timestamp` (Unix seconds) and
`X-Candor-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`; it is refused
outside SIGNATURE_WINDOW of now, and a signature seen before is refused as a replay.
Seen signatures are remembered in the cache (Redis) for twice the window, and in this
process when the cache is unreachable, so a Redis outage weakens replay refusal to one
process rather than stopping ingest.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from django.core.cache import cache

from incidents.models import Source

log = logging.getLogger(__name__)

SIGNATURE_WINDOW = timedelta(minutes=5)
_SEEN_LOCAL: OrderedDict[str, float] = OrderedDict()
_SEEN_LOCAL_MAX = 100_000
_SEEN_LOCAL_LOCK = threading.Lock()  # ingest requests run on several threads


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def authenticate(
    source: Source,
    *,
    authorization: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime,
) -> None:
    """Return if the request may post to `source`; raise Refused saying why not.

    A signed request that passes is remembered, and refused if it comes again."""
    check_credentials(
        source,
        authorization=authorization,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=now,
    )
    if (signature or timestamp) and not _first_sighting(
        f"ingest:sig:{source.pk}:{signature.strip()}", now=now
    ):
        raise Refused("This signed request was already received (replay).")


def check_credentials(
    source: Source,
    *,
    authorization: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime,
) -> None:
    """authenticate() without remembering anything: are these the source's credentials?"""
    if signature or timestamp:
        _check_signature(source, timestamp=timestamp, signature=signature, body=body, now=now)
        return
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused("Send the source's token as 'Authorization: Bearer <token>'.")
    if not hmac.compare_digest(token_hash(token.strip()), source.token_hash):
        raise Refused("Wrong token for this source.")


def _check_signature(
    source: Source, *, timestamp: str, signature: str, body: bytes, now: datetime
) -> None:
    if not source.signing_secret:
        raise Refused("This source has no signing secret; authenticate with its token.")
    if not (timestamp and signature):
        raise Refused("A signed request needs both X-Candor-Timestamp and X-Candor-Signature.")
    try:
        sent = int(timestamp)
    except ValueError:
        raise Refused("X-Candor-Timestamp must be Unix seconds.") from None
    if abs(now.timestamp() - sent) > SIGNATURE_WINDOW.total_seconds():
        raise Refused("X-Candor-Timestamp is outside the 5-minute window.")
    expected = sign(source.signing_secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise Refused("Bad signature.")


def _first_sighting(key: str, *, now: datetime) -> bool:
    ttl = int(SIGNATURE_WINDOW.total_seconds() * 2)
    try:
        return bool(cache.add(key, 1, timeout=ttl))
    except Exception:  # the cache is down: remember here instead
        log.warning("cache unreachable; remembering signatures in this process")
    cutoff = now.timestamp() - ttl
    with _SEEN_LOCAL_LOCK:
        while _SEEN_LOCAL and next(iter(_SEEN_LOCAL.values())) < cutoff:
            _SEEN_LOCAL.popitem(last=False)
        if key in _SEEN_LOCAL:
            return False
        _SEEN_LOCAL[key] = now.timestamp()
        if len(_SEEN_LOCAL) > _SEEN_LOCAL_MAX:
            _SEEN_LOCAL.popitem(last=False)
    return True
