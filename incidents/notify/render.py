"""The words of every notification: ONE function, `message_render`, for every channel.

Each message carries the update as written, the incident's (or maintenance's) canonical
URL and the way out: a one-click unsubscribe link for email and webhooks, STOP for SMS.
The fan-out checks every rendering against the wording policy for its channel before it
sends (fanout.py): a message the policy refuses is never sent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import reverse

from incidents.models import IncidentUpdate, MaintenanceUpdate, Subscriber, SubscriberChannel
from incidents.notify import links
from incidents.text import printable

# Curly quotes, dashes and the ellipsis, by code point, to their GSM-7 stand-ins.
_PLAIN = str.maketrans(
    {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-", 0x2026: "..."}
)
SMS_LIMIT = 306  # two concatenated GSM-7 segments, the default policy's `length-sms`
# The sentence that says when the next update comes: a text cut to fit keeps it, so the
# SMS states the same promise as the page, the feeds and the email (docs/design.md).
_PROMISE_SENTENCE = re.compile(r"[^.!?\n]*\bnext update\b[^.!?\n]*[.!?]?", re.IGNORECASE)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    url: str  # the canonical page of the incident or maintenance
    unsubscribe_url: str
    manage_url: str
    kind: str  # incident or maintenance
    title: str
    status: str


@lru_cache(maxsize=256)
def _page_path(name: str, public_id: str) -> str:
    return reverse(name, args=[public_id])


def _page_url(name: str, public_id: str) -> str:
    # The path is cached (a batch of 100 shares one); the host is read from the settings.
    return links.absolute(_page_path(name, public_id))


def _about(update: IncidentUpdate | MaintenanceUpdate) -> tuple[str, str, str]:
    """(kind, title, canonical URL) of what the update belongs to."""
    if isinstance(update, IncidentUpdate):
        return (
            "incident",
            update.incident.name,
            _page_url("public:incident", update.incident.public_id),
        )
    parent = update.maintenance
    return "maintenance", parent.name, _page_url("public:maintenance", parent.public_id)


def gsm7(text: str) -> str:
    """Keep SMS in GSM-7: curly quotes and dashes become plain ones, accents are dropped."""
    text = text.translate(_PLAIN)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _fit(body: str, room: int) -> str:
    """`body` in `room` characters: cut with "...", the promise sentence kept whole."""
    if len(body) <= room:
        return body
    promises = list(_PROMISE_SENTENCE.finditer(body))
    if promises:
        keep = promises[-1].group().strip()
        before = body[: promises[-1].start()].rstrip()
        if before and len(keep) + 4 <= room:
            return before[: room - len(keep) - 4].rstrip() + "... " + keep
    return body[: max(0, room - 3)].rstrip() + "..."


def message_render(
    *, channel: str, update: IncidentUpdate | MaintenanceUpdate, subscriber: Subscriber
) -> Rendered:
    kind, title, url = _about(update)
    # Rows stored before incidents/text.py refused them still send: one line for the
    # title (it is the email Subject header), no control character anywhere.
    title = printable(title, multiline=False)
    words = printable(update.body.strip())
    status = update.get_status_display()  # type: ignore[union-attr]
    page = settings.CANDOR_PAGE_NAME
    manage = links.manage_url(subscriber.public_id)
    unsubscribe = links.unsubscribe_url_from(manage)
    subject = f"[{page}] {title}: {status}"
    if channel == SubscriberChannel.SMS:
        head = f"{page}: {title} - {status}. "
        tail = f" {url} Reply STOP to opt out."
        body = _fit(words.replace("\n", " "), SMS_LIMIT - len(head) - len(tail))
        text = gsm7(head + body + tail)
    else:
        text = (
            f"{title}\n{status}\n\n{words}\n\n"
            f"Follow this {kind}: {url}\n\n"
            f"You receive this because you subscribed to {page}.\n"
            f"Change what you receive: {manage}\n"
            f"Unsubscribe: {unsubscribe}\n"
        )
    return Rendered(
        subject=subject,
        text=text,
        url=url,
        unsubscribe_url=unsubscribe,
        manage_url=manage,
        kind=kind,
        title=title,
        status=update.status,
    )
