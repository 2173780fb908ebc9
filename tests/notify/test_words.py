"""The words every channel sends come from templates/notify/ and read exactly as the
messages Candor built in Python before, whatever an update says (template syntax, HTML,
percent signs, curly quotes, long words): the oracle below is that earlier code."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator

import pytest
import time_machine
from django.test import override_settings

from incidents.models import Incident, IncidentUpdate, Maintenance, MaintenanceUpdate, Subscriber
from incidents.notify import links
from incidents.notify.channels import message_render
from incidents.notify.inbound import sms_reply
from incidents.notify.render import SMS_LIMIT, fit
from incidents.text import printable

BODIES = [
    "We are investigating failed payments.",
    "Line one\nline two “quoted” — dash…",
    "x" * 400,
    "<b>&amp;</b> {{ evil }} {% now 'Y' %} %(title)s %s 100%",
    "é" * 300,
]
TITLES = ["Checkout errors", '<script>alert(1)</script> & "q"', "%(page)s {{ x }} {% if %}"]
_PLAIN = str.maketrans(
    {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-", 0x2026: "..."}
)


@pytest.fixture(autouse=True)
def _one_signing_second() -> Iterator[None]:
    # Signed links carry a timestamp: two signings a second apart differ in bytes.
    with time_machine.travel(time.time(), tick=False):
        yield


def _earlier(channel: str, update: IncidentUpdate | MaintenanceUpdate, subscriber: Subscriber):  # type: ignore[no-untyped-def]
    """The f-strings the words were built with before they moved to templates."""
    if isinstance(update, IncidentUpdate):
        kind, parent, name = "incident", update.incident, "public:incident"
    else:
        kind, parent, name = "maintenance", update.maintenance, "public:maintenance"
    from django.urls import reverse

    url = links.absolute(reverse(name, args=[parent.public_id]))
    title = printable(parent.name, multiline=False)
    words = printable(update.body.strip())
    status = update.get_status_display()  # type: ignore[union-attr]
    page = "Candor Demo"
    manage = links.manage_url(subscriber.public_id)
    unsubscribe = links.unsubscribe_url_from(manage)
    subject = f"[{page}] {title}: {status}"
    if channel == "sms":
        head = f"{page}: {title} - {status}. "
        tail = f" {url} Reply STOP to opt out."
        body = fit(words.replace("\n", " "), SMS_LIMIT - len(head) - len(tail))
        text = (head + body + tail).translate(_PLAIN)
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    else:
        text = (
            f"{title}\n{status}\n\n{words}\n\n"
            f"Follow this {kind}: {url}\n\n"
            f"You receive this because you subscribed to {page}.\n"
            f"Change what you receive: {manage}\n"
            f"Unsubscribe: {unsubscribe}\n"
        )
    return subject, text


@override_settings(CANDOR_PAGE_NAME="Candor Demo")
@pytest.mark.parametrize("channel", ["email", "sms", "webhook"])
@pytest.mark.parametrize("title", TITLES)
@pytest.mark.parametrize("body", BODIES)
def test_templates_say_exactly_what_the_earlier_code_said(
    channel: str, title: str, body: str
) -> None:
    updates = [
        IncidentUpdate(incident=Incident(name=title, public_id="inc1"), body=body,
                       status="investigating"),
        MaintenanceUpdate(maintenance=Maintenance(name=title, public_id="mnt1"), body=body,
                          status="scheduled"),
    ]  # fmt: skip
    for n, update in enumerate(updates):
        # Two subscribers: each gets their own link in the one shared rendering.
        for subscriber in (Subscriber(public_id=f"sub{n}a"), Subscriber(public_id=f"sub{n}b")):
            rendered = message_render(channel=channel, update=update, subscriber=subscriber)
            assert (rendered.subject, rendered.text) == _earlier(channel, update, subscriber)


@pytest.mark.django_db
@override_settings(CANDOR_PAGE_NAME="Candor <Demo> & Co", CANDOR_CANONICAL_URL="https://s.example")
def test_the_help_reply_is_unescaped_plain_text() -> None:
    assert sms_reply(sender="+14155550100", body="help") == (
        "Candor <Demo> & Co status updates: https://s.example . "
        "Reply STOP to opt out, START to opt back in."
    )
