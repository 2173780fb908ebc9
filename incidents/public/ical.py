"""Maintenance windows as an iCalendar feed people can subscribe to.

Calendar clients match events by UID and keep the one with the highest SEQUENCE, so both
are derived from stored facts: the same window always has the same UID, and every update
posted to it raises SEQUENCE by one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from incidents import selectors
from incidents.branding.brand import page_name
from incidents.models import MaintenanceStatus
from incidents.public.cache import Rendered, public_response
from incidents.rendering import plain_text
from incidents.selectors import MaintenanceView
from incidents.text import printable

CONTENT_TYPE = "text/calendar; charset=utf-8"
_OPEN = (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)


def maintenance_windows() -> list[MaintenanceView]:
    """Every window not yet completed, and the most recent ones overall, newest first."""
    windows = {m.public_id: m for m in selectors.maintenances_recent()}
    for m in selectors.maintenances_recent(statuses=_OPEN):
        windows.setdefault(m.public_id, m)
    return sorted(windows.values(), key=lambda m: m.scheduled_for, reverse=True)


def is_cancelled(maintenance: MaintenanceView) -> bool:
    # Completing a window that never started is how lifecycle cancels one.
    return maintenance.status == MaintenanceStatus.COMPLETED and maintenance.started_at is None


def _description(maintenance: MaintenanceView) -> str:
    lines = []
    for update in maintenance.updates:  # newest first, like the web page
        at = update.display_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        label = MaintenanceStatus(update.status).label
        lines.append(f"{label} ({at}): {plain_text(update.body_html)}")
    return "\n\n".join(lines)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _event(maintenance: MaintenanceView) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{maintenance.public_id}@candor")
    event.add("dtstamp", _utc(maintenance.updated_at))
    event.add("last-modified", _utc(maintenance.updated_at))
    event.add("created", _utc(maintenance.created_at))
    event.add("dtstart", _utc(maintenance.scheduled_for))
    event.add("dtend", _utc(maintenance.scheduled_until))
    event.add("summary", printable(maintenance.name, multiline=False))
    # RFC 5545 TEXT has no control characters: a stored one must not break the calendar.
    event.add("description", printable(_description(maintenance)))
    url = reverse("public:maintenance", args=[maintenance.public_id])
    event.add("url", settings.CANDOR_CANONICAL_URL + url)
    event.add("status", "CANCELLED" if is_cancelled(maintenance) else "CONFIRMED")
    event.add("sequence", max(len(maintenance.updates) - 1, 0))
    event.add("transp", "OPAQUE")
    return event


def maintenance_calendar() -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Candor//Status page//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{page_name()} maintenance")
    for maintenance in maintenance_windows():
        calendar.add_component(_event(maintenance))
    return calendar.to_ical()


def maintenance_ics(request: HttpRequest) -> HttpResponse:
    def render() -> Rendered:
        return Rendered(body=maintenance_calendar(), content_type=CONTENT_TYPE)

    return public_response(request, request.path, render)
