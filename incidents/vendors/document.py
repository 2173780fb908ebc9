"""Reading a vendor's status document: a Statuspage v2 summary.json (Candor's own v2 API
has the same shape) or an RSS/Atom feed, into the components it reports.

Whatever the bytes, the only exception raised is DocumentError: an HTML error page served
with 200, truncated JSON or a feed that is not one all mean "we cannot tell", which the
poller shows as unknown.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from incidents.models import VendorKind, VendorStatus
from incidents.text import printable

MAX_COMPONENTS = 500  # a vendor listing more is not a status page we can offer to pick from
FEED_COMPONENT_ID = "feed"
# A feed entry older than this that never said "resolved" no longer counts as open:
# feeds rarely post a last entry when all is well again.
FEED_OPEN_WINDOW = timedelta(hours=12)

_STATUSPAGE_STATUSES = {
    "operational": VendorStatus.OPERATIONAL,
    "degraded_performance": VendorStatus.DEGRADED_PERFORMANCE,
    "partial_outage": VendorStatus.PARTIAL_OUTAGE,
    "major_outage": VendorStatus.MAJOR_OUTAGE,
    "under_maintenance": VendorStatus.UNDER_MAINTENANCE,
}


class DocumentError(ValueError):
    """The document is not a status document we can read (said in words for the console)."""


@dataclass(frozen=True)
class Reported:
    external_id: str
    name: str
    group_name: str
    status: VendorStatus


@dataclass(frozen=True)
class Reading:
    kind: VendorKind
    page_name: str
    components: tuple[Reported, ...]


def _text(value: object, limit: int = 200) -> str:
    """A vendor's string as we store and show it: printable, one line, bounded."""
    if not isinstance(value, str):
        return ""
    return printable(value, multiline=False).strip()[:limit]


def looks_like_json(body: bytes) -> bool:
    return body.lstrip()[:1] in (b"{", b"[")


def read(body: bytes, *, now: datetime) -> Reading:
    """The document's kind is told by its first byte: `{` is JSON, anything else a feed."""
    if looks_like_json(body):
        return read_summary(body)
    return read_feed(body, now=now)


def read_summary(body: bytes) -> Reading:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"not valid JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise DocumentError("not a Statuspage v2 document: the top level is not an object")
    page = document.get("page")
    listed = document.get("components")
    if not isinstance(page, dict) or not isinstance(listed, list):
        raise DocumentError("not a Statuspage v2 document: no page or components")
    entries = [c for c in listed if isinstance(c, dict)]
    groups = {str(c.get("id")): _text(c.get("name")) for c in entries if c.get("group") is True}
    components = []
    seen: set[str] = set()
    for entry in entries:
        if entry.get("group") is True:
            continue  # a group's status is its children's worst: we pick the children
        external_id = _text(entry.get("id"))
        name = _text(entry.get("name"))
        status = _STATUSPAGE_STATUSES.get(str(entry.get("status")))
        if not external_id or not name or external_id in seen:
            raise DocumentError("a component without an id or a name, or listed twice")
        if status is None:
            raise DocumentError(f"component {name!r} has an unknown status")
        seen.add(external_id)
        group = groups.get(str(entry.get("group_id")), "") if entry.get("group_id") else ""
        components.append(Reported(external_id, name, group, status))
    if len(components) > MAX_COMPONENTS:
        raise DocumentError(f"more than {MAX_COMPONENTS} components")
    return Reading(VendorKind.STATUSPAGE, _text(page.get("name")), tuple(components))


# Feed heuristics (docs/design.md, "Vendors"): the newest entry decides, by its title,
# categories and summary, first match wins in this order.
_RESOLVED = re.compile(
    r"\b(resolved|completed|recovered|restored|operating normally|back to normal|"
    r"fixed|closed|post-?mortem)\b",
    re.IGNORECASE,
)
_MAINTENANCE = re.compile(r"\b(maintenance|scheduled)\b", re.IGNORECASE)
_MAJOR = re.compile(
    r"\b(major outage|outage|down|unavailable|unreachable|service disruption|disrupted)\b",
    re.IGNORECASE,
)
_PARTIAL = re.compile(r"\b(partial|some (customers|users|regions)|intermittent)\b", re.IGNORECASE)
_DEGRADED = re.compile(
    r"\b(degraded|elevated|increased|latency|slow|delays?|delayed|errors?|performance|"
    r"investigating|identified|monitoring|issue|problem)\b",
    re.IGNORECASE,
)


def feed_entry_status(words: str) -> VendorStatus:
    if _RESOLVED.search(words):
        return VendorStatus.OPERATIONAL
    if _MAINTENANCE.search(words):
        return VendorStatus.UNDER_MAINTENANCE
    if _PARTIAL.search(words):
        return VendorStatus.PARTIAL_OUTAGE
    if _MAJOR.search(words):
        return VendorStatus.MAJOR_OUTAGE
    # An open entry that names nothing we know is still something wrong.
    return VendorStatus.DEGRADED_PERFORMANCE


def _entry_time(entry: Any) -> datetime | None:
    # dict.get: feedparser's own get() maps a missing `updated` to `published`, warning.
    parsed = dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
    if not isinstance(parsed, time.struct_time):
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


def read_feed(body: bytes, *, now: datetime) -> Reading:
    parsed = feedparser.parse(body)
    version = parsed.get("version") or ""
    if not version or (parsed.get("bozo") and not parsed.entries and not parsed.feed):
        raise DocumentError("neither JSON nor an RSS/Atom feed (an HTML page?)")
    title = _text(parsed.feed.get("title")) or "Status feed"
    newest: tuple[datetime, Any] | None = None
    for entry in parsed.entries:
        at = _entry_time(entry)
        if at is not None and (newest is None or at > newest[0]):
            newest = (at, entry)
    status = VendorStatus.OPERATIONAL
    if newest is not None and now - newest[0] <= FEED_OPEN_WINDOW:
        entry = newest[1]
        categories = " ".join(str(t.get("term") or "") for t in entry.get("tags") or [])
        words = " ".join(
            [str(entry.get("title") or ""), categories, str(entry.get("summary") or "")[:2000]]
        )
        status = feed_entry_status(words)
    return Reading(VendorKind.FEED, title, (Reported(FEED_COMPONENT_ID, title, "", status),))
