"""Render the whole public output and every notification channel, and say what broke.

The property tests call `published_everywhere` after each accepted write: whatever a writer
stored, every page, feed, API document, calendar, snapshot file and message must render.
"""

from __future__ import annotations

import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from django.core.mail import EmailMessage
from django.test import Client

from incidents.models import Delivery, Incident, IncidentUpdate, Subscriber, SubscriberChannel
from incidents.notify.channels import message_render
from incidents.notify.transports.email import headers_for
from incidents.notify.transports.webhook import payload_for
from incidents.public import cache as public_cache
from incidents.publish.snapshot import render_snapshot

FEEDS = ["/history.atom", "/history.rss"]
JSON_DOCUMENTS = ["/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/components.json"]
PAGES = ["/", "/history", "/maintenance.ics"]
DESTINATIONS = {
    SubscriberChannel.EMAIL: "ada@example.test",
    SubscriberChannel.SMS: "+14155550101",
    SubscriberChannel.WEBHOOK: "https://hooks.example.test/candor",
}


def _subscribers() -> list[Subscriber]:
    from django.utils import timezone

    found = []
    for channel, destination in DESTINATIONS.items():
        subscriber, _ = Subscriber.objects.get_or_create(
            channel=channel,
            destination=destination,
            defaults={"state": "confirmed", "created_at": timezone.now()},
        )
        found.append(subscriber)
    return found


def _notifications(update: IncidentUpdate) -> None:
    for subscriber in _subscribers():
        rendered = message_render(channel=subscriber.channel, update=update, subscriber=subscriber)
        assert "\n" not in rendered.subject and "\r" not in rendered.subject
        if subscriber.channel == SubscriberChannel.EMAIL:
            message = EmailMessage(
                subject=rendered.subject,
                body=rendered.text,
                to=[subscriber.destination],
                headers=headers_for("0" * 24, rendered),
            )
            message.message().as_bytes(linesep="\r\n")
        elif subscriber.channel == SubscriberChannel.WEBHOOK:
            delivery = Delivery(subscriber=subscriber, channel="webhook", incident_update=update)
            json.dumps(payload_for(delivery, rendered)).encode()
        else:
            rendered.text.encode("ascii")  # GSM-7 stand-ins only


def published_everywhere(client: Client) -> None:
    """Every public rendering answers 200 with well-formed output, a snapshot renders, and
    every channel's message for the newest update renders; AssertionError otherwise."""
    public_cache.reset()
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    for path in FEEDS:
        response = client.get(path)
        assert response.status_code == 200, path
        ET.fromstring(response.content)
    for path in JSON_DOCUMENTS:
        response = client.get(path)
        assert response.status_code == 200, path
        json.loads(response.content)
    for incident in Incident.objects.order_by("-pk")[:3]:
        assert client.get(f"/incidents/{incident.public_id}").status_code == 200
    with tempfile.TemporaryDirectory(prefix="candor-snapshot-") as root:
        snapshot = render_snapshot(Path(root) / "site")
        atom = snapshot.read("history.atom")
        ET.fromstring(atom)
    update = IncidentUpdate.objects.select_related("incident").order_by("-pk").first()
    if update is not None:
        _notifications(update)
