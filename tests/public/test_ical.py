from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Maintenance
from tests.public.conftest import Layout

pytestmark = pytest.mark.django_db


def _calendar(client: Client) -> icalendar.Calendar:
    response = client.get("/maintenance.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def _events(client: Client) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in _calendar(client).walk("VEVENT")}


def _schedule(actor: Actor, name: str, start: datetime, **kwargs: object) -> Maintenance:
    return lifecycle.maintenance_schedule(
        actor=actor, name=name, body=f"{name} & more: **details**.", scheduled_for=start,
        scheduled_until=start + timedelta(hours=2), **kwargs,
    )  # fmt: skip


def test_a_scheduled_window_is_a_confirmed_event_in_utc(
    client: Client, layout: Layout, actor: Actor
) -> None:
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    window = _schedule(actor, "Database upgrade", start, components=[layout.web])
    event = _events(client)[f"{window.public_id}@candor"]

    assert event["SUMMARY"] == "Database upgrade"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(hours=2)
    raw = event.to_ical().decode()  # written as UTC, neither floating nor with a TZID
    assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in raw
    assert f"DTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%S}Z" in raw
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert event["URL"] == f"{settings.CANDOR_CANONICAL_URL}/maintenance/{window.public_id}"
    assert str(event["DESCRIPTION"]).endswith("Database upgrade & more: details.")
    assert "<" not in str(event["DESCRIPTION"])
    assert event.decoded("LAST-MODIFIED") == window.updated_at.replace(microsecond=0)


def test_each_update_raises_the_sequence_and_keeps_the_uid(
    client: Client, layout: Layout, actor: Actor
) -> None:
    now = timezone.now()
    window = _schedule(actor, "Network work", now - timedelta(minutes=5))
    for status in ("in_progress", "verifying"):
        lifecycle.maintenance_update_post(
            actor=actor, maintenance=window, body=f"Now {status}.", status=status
        )
    event = _events(client)[f"{window.public_id}@candor"]
    assert event["SEQUENCE"] == 2
    assert event["STATUS"] == "CONFIRMED"
    assert "Now verifying." in str(event["DESCRIPTION"])


def test_a_window_completed_without_starting_is_cancelled(
    client: Client, layout: Layout, actor: Actor
) -> None:
    cancelled = _schedule(actor, "Called off", timezone.now() + timedelta(days=1))
    lifecycle.maintenance_update_post(
        actor=actor, maintenance=cancelled, body="Not needed.", status="completed"
    )
    done = _schedule(actor, "Done", timezone.now() - timedelta(minutes=30))
    for status in ("in_progress", "completed"):
        lifecycle.maintenance_update_post(actor=actor, maintenance=done, body="x", status=status)

    events = _events(client)
    assert events[f"{cancelled.public_id}@candor"]["STATUS"] == "CANCELLED"
    assert events[f"{done.public_id}@candor"]["STATUS"] == "CONFIRMED"


def test_the_calendar_holds_upcoming_active_and_recent_windows(
    client: Client, layout: Layout, actor: Actor
) -> None:
    long_ago = datetime(2023, 1, 1, tzinfo=UTC)
    for n in range(55):
        old = _schedule(actor, f"Old {n}", long_ago + timedelta(days=n), now=long_ago)
        lifecycle.maintenance_update_post(
            actor=actor, maintenance=old, body="Done.", status="completed", now=long_ago
        )
    upcoming = _schedule(actor, "Upcoming", timezone.now() + timedelta(days=30))

    calendar = _calendar(client)
    names = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert "Upcoming" in names and "Old 54" in names and "Old 0" not in names
    assert f"{upcoming.public_id}@candor" in {str(e["UID"]) for e in calendar.walk("VEVENT")}
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
