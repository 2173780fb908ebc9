"""Rows already stored with characters the edge now refuses never stop publishing: the feeds,
pages, v2 JSON, calendar and snapshot all render them (invalid XML characters replaced)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import (
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceComponent,
)
from incidents.publish.snapshot import render_snapshot
from tests.factories import ComponentFactory, promised

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
# Not one of these is allowed in XML 1.0; PostgreSQL stores them all.
BAD = "Bell\x07 esc\x1b[31m ff\x0c vt\x0b nc\ufffe\uffff end"


@pytest.fixture
def bad_rows(db: None) -> Incident:
    component = ComponentFactory(name="Public API", position=1)
    incident = lifecycle.incident_open(
        actor=ACTOR, name="Good name", body=promised("Body."), impact="minor",
        components={component: "degraded_performance"},
    )  # fmt: skip
    now = timezone.now()
    maintenance = lifecycle.maintenance_schedule(
        actor=ACTOR, name="Good window", body="Done.",
        scheduled_for=now + timedelta(days=1), scheduled_until=now + timedelta(days=1, hours=1),
        components=[component],
    )  # fmt: skip
    # As a row written before the edge refused them (or by hand) would be.
    Incident.objects.filter(pk=incident.pk).update(name=BAD)
    IncidentUpdate.objects.filter(incident=incident).update(body=BAD, body_html=f"<p>{BAD}</p>")
    Component.objects.filter(pk=component.pk).update(name=BAD, description=BAD)
    Maintenance.objects.filter(pk=maintenance.pk).update(name=BAD)
    MaintenanceComponent.objects.filter(maintenance=maintenance).update(impact=BAD[:24])
    incident.refresh_from_db()
    return incident


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_feeds_stay_valid_xml(client: Client, bad_rows: Incident, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    ET.fromstring(response.content)  # well-formed, or this raises
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries[0].title.startswith("Bell")
    assert "\x07" not in feed.entries[0].title


def test_pages_json_and_calendar_answer(client: Client, bad_rows: Incident) -> None:
    for path in ["/", "/history", f"/incidents/{bad_rows.public_id}", "/maintenance.ics"]:
        assert client.get(path).status_code == 200, path
    for path in ["/api/v2/summary.json", "/api/v2/incidents.json"]:
        response = client.get(path)
        assert response.status_code == 200, path
        json.loads(response.content)


def test_a_snapshot_still_renders(bad_rows: Incident, tmp_path: Path) -> None:
    snapshot = render_snapshot(tmp_path / "site")
    atom = snapshot.read("history.atom")
    ET.fromstring(atom)
    assert snapshot.manifest.files


@pytest.mark.parametrize("channel", ["email", "sms", "webhook"])
def test_notifications_render_a_bad_row(bad_rows: Incident, channel: str) -> None:
    from django.core.mail import EmailMessage

    from incidents.notify.channels import message_render
    from incidents.notify.transports.email import headers_for
    from tests.notify.conftest import subscriber

    Incident.objects.filter(pk=bad_rows.pk).update(name=BAD + "\nBcc: evil@example.test\u2028")
    update = IncidentUpdate.objects.select_related("incident").get(incident=bad_rows)
    person = subscriber(channel, {"email": "ada@example.test", "sms": "+14155550101",
                                  "webhook": "https://hooks.example.test/x"}[channel])  # fmt: skip
    rendered = message_render(channel=channel, update=update, subscriber=person)
    for text in (rendered.subject, rendered.title):
        assert not any(c in text for c in "\x07\x1b\n\r\u2028"), text
    assert "\x07" not in rendered.text and "\x1b" not in rendered.text
    if channel == "email":
        message = EmailMessage(
            subject=rendered.subject, body=rendered.text, to=["ada@example.test"],
            headers=headers_for("k", rendered),
        )  # fmt: skip
        assert b"Bcc: evil" not in message.message().as_bytes().split(b"\n\n")[0]


# Recorded component changes as a hand-written or older row might hold them.
ODD_AFFECTED = [
    [{"name": "Public API"}],  # keys missing (found by the incremental publishing benchmark)
    [{"code": 7, "name": None, "old_status": ["x"], "new_status": {"y": 1}}, "not an object"],
    {"code": "abc"},  # not a list
    "a string",
    [{"code": "c", "name": BAD, "old_status": "operational", "new_status": "major_outage"}],
]


@pytest.mark.parametrize("stored", ODD_AFFECTED)
def test_odd_recorded_component_changes_do_not_stop_a_page(
    client: Client, bad_rows: Incident, stored: object, tmp_path: Path
) -> None:
    IncidentUpdate.objects.filter(incident=bad_rows).update(affected_components=stored)
    for path in ["/", f"/incidents/{bad_rows.public_id}", "/api/v2/incidents.json"]:
        assert client.get(path).status_code == 200, path
    summary = json.loads(client.get("/api/v2/incidents.json").content)
    for update in summary["incidents"][0]["incident_updates"]:
        for change in update["affected_components"] or []:
            assert set(change) == {"code", "name", "old_status", "new_status"}
            assert all(isinstance(v, str) and "\x07" not in v for v in change.values())
    assert render_snapshot(tmp_path / "site").manifest.files
