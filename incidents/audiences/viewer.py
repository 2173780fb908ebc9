"""Who is reading: the public, or a reader of some audiences.

The readers' sign-in (OIDC or an invitation link) writes the session key `candor_reader`:
`{"email", "audiences": [slugs], "via": "oidc" | "link", "expires_at": ISO-8601 UTC}`.
This module only reads it. An expired entry, a slug no audience has, or an address outside
an audience's allow-list gives that audience nothing: a reader in doubt is the public.

The viewer of the current render is a context variable, PUBLIC unless a view says
otherwise (`viewing`): a render that forgets to set it shows the public page, never more.
Threads started by a render (the public cache's background revalidation) start PUBLIC too.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest

from incidents.audiences.tokens import token_audience_id
from incidents.client_address import client_address
from incidents.models import Audience

log = logging.getLogger(__name__)

SESSION_KEY = "candor_reader"
# Where an audience token is read: the Statuspage-compatible JSON (api/public_urls.py).
TOKEN_PATHS = ("/api/v2/",)


@dataclass(frozen=True)
class Viewer:
    audience_ids: frozenset[int] = frozenset()
    # Their slugs, where known: what finds an audience's private copy with the database
    # down (publish/audience_mirror.py). Not part of who the viewer is.
    slugs: frozenset[str] = field(default=frozenset(), compare=False)

    PUBLIC: ClassVar[Viewer]

    @property
    def public(self) -> bool:
        return not self.audience_ids


Viewer.PUBLIC = Viewer()

_current: ContextVar[Viewer] = ContextVar("candor_viewer", default=Viewer.PUBLIC)


def current_viewer() -> Viewer:
    return _current.get()


@contextmanager
def viewing(viewer: Viewer) -> Iterator[None]:
    token = _current.set(viewer)
    try:
        yield
    finally:
        _current.reset(token)


def allowed_from(allowlist: object, address: str) -> bool:
    """Whether `address` is inside one of the audience's networks (an empty list: any).
    A stored entry that is not a network allows nothing rather than everything."""
    if not allowlist:
        return True
    if not isinstance(allowlist, list):
        return False
    try:
        found = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowlist:
        try:
            if found in ipaddress.ip_network(str(entry).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def _expires_at(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def viewer_from_entry(entry: object, *, address: str, now: datetime) -> Viewer:
    """The viewer a session's `candor_reader` entry grants, read defensively."""
    if not isinstance(entry, dict):
        return Viewer.PUBLIC
    expires = _expires_at(entry.get("expires_at"))
    if expires is None or expires <= now:
        return Viewer.PUBLIC
    slugs = entry.get("audiences")
    if not isinstance(slugs, list):
        return Viewer.PUBLIC
    wanted = {s for s in slugs if isinstance(s, str)}
    if not wanted:
        return Viewer.PUBLIC
    known = known_audiences()
    granted = {
        slug: known[slug][0]
        for slug in sorted(wanted)
        if slug in known and allowed_from(known[slug][1], address)
    }
    return Viewer(frozenset(granted.values()), frozenset(granted))


# The audiences as last read, in the shared cache (Redis in production): so a reader is
# still known, and served their audience's private copy, while the database is down.
KNOWN_CACHE_KEY = "audiences:known"


def known_audiences() -> dict[str, tuple[int, object]]:
    """slug -> (id, IP allow-list) of every audience (a handful of rows)."""
    try:
        known: dict[str, tuple[int, object]] = {
            slug: (pk, allowlist)
            for pk, slug, allowlist in Audience.objects.values_list("pk", "slug", "ip_allowlist")
        }
    except (OperationalError, InterfaceError):
        remembered = cache.get(KNOWN_CACHE_KEY)
        if not isinstance(remembered, dict):
            raise
        return remembered
    try:
        cache.set(KNOWN_CACHE_KEY, known, timeout=None)
    except Exception:  # the cache being down costs only the fallback above
        log.warning("cannot remember the audiences in the cache", exc_info=True)
    return known


def _token_viewer(request: HttpRequest, header: str) -> Viewer:
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return Viewer.PUBLIC
    audience_id = token_audience_id(secret.strip())
    if audience_id is None:
        return Viewer.PUBLIC
    found = Audience.objects.filter(pk=audience_id).values_list("slug", "ip_allowlist").first()
    if found is None or not allowed_from(found[1], client_address(request)):
        return Viewer.PUBLIC
    return Viewer(frozenset({audience_id}), frozenset({found[0]}))


def viewer_for(request: HttpRequest) -> Viewer:
    """The viewer of this request: an audience token on the v2 JSON (machine readers),
    else the session's reader. Without either, nothing is read (a public page served from
    memory costs no query)."""
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    if header and request.path.startswith(TOKEN_PATHS):
        return _token_viewer(request, header)
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return Viewer.PUBLIC
    session = getattr(request, "session", None)
    if session is None:
        return Viewer.PUBLIC
    entry = session.get(SESSION_KEY)
    if entry is None:
        return Viewer.PUBLIC
    return viewer_from_entry(entry, address=client_address(request), now=datetime.now(UTC))


def audience_names(viewer: Viewer) -> list[str]:
    """The audiences a reader reads as, for the banner that says so."""
    if viewer.public:
        return []
    return list(Audience.objects.filter(pk__in=viewer.audience_ids).values_list("name", flat=True))
