from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    AuditAction,
    AuditEvent,
    Component,
    ComponentStatus,
    Maintenance,
    MaintenanceStatus,
)

FORMAT = "%Y-%m-%dT%H:%M"


def _form(api: Component, start_in: timedelta, length: timedelta) -> dict[str, object]:
    start = timezone.now() + start_in
    return {
        "name": "Database upgrade",
        "body": "We are upgrading the **database**.",
        "scheduled_for": start.strftime(FORMAT),
        "scheduled_until": (start + length).strftime(FORMAT),
        "components": [api.public_id],
        "auto_start": "on",
    }


def _schedule(console: Client, api: Component) -> Maintenance:
    response = console.post(
        reverse("console:maintenance_new"), _form(api, timedelta(days=1), timedelta(hours=2))
    )
    assert response.status_code == 302, response.content.decode()
    return Maintenance.objects.get()


def test_schedule_maintenance_in_utc(console: Client, api: Component) -> None:
    data = _form(api, timedelta(days=1), timedelta(hours=2))
    response = console.post(reverse("console:maintenance_new"), data, follow=True)
    maintenance = Maintenance.objects.get()
    assert "scheduled" in response.content.decode()
    assert maintenance.scheduled_for.strftime(FORMAT) == data["scheduled_for"]
    assert maintenance.scheduled_for.utcoffset() == timedelta(0)
    assert list(maintenance.components.all()) == [api]
    assert maintenance.auto_start and not maintenance.auto_complete
    assert AuditEvent.objects.get().action == AuditAction.MAINTENANCE_SCHEDULED


def test_window_ending_before_it_starts_is_refused(console: Client, api: Component) -> None:
    data = _form(api, timedelta(days=1), timedelta(hours=-2))
    response = console.post(reverse("console:maintenance_new"), data)
    assert response.status_code == 400
    assert "must end after it starts" in str(response.context["form"].errors["scheduled_until"])
    assert not Maintenance.objects.exists()


def test_unknown_component_and_bad_dates_are_refused(console: Client, api: Component) -> None:
    data = {**_form(api, timedelta(days=1), timedelta(hours=1)),
            "components": ["nosuchcompo"], "scheduled_for": "tomorrow-ish"}  # fmt: skip
    response = console.post(reverse("console:maintenance_new"), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"components", "scheduled_for"}
    assert not Maintenance.objects.exists()


def test_maintenance_moves_through_its_transitions(console: Client, api: Component) -> None:
    maintenance = _schedule(console, api)
    url = reverse("console:maintenance_detail", args=[maintenance.public_id])
    assert 'value="in_progress" selected' in console.get(url).content.decode()

    console.post(url, {"status": "in_progress", "body": "Started."})
    api.refresh_from_db()
    assert api.status == ComponentStatus.UNDER_MAINTENANCE

    console.post(url, {"status": "verifying", "body": "Checking."})
    response = console.post(url, {"status": "completed", "body": "Done."}, follow=True)
    assert "Maintenance update posted" in response.content.decode()
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    api.refresh_from_db()
    assert api.status == ComponentStatus.OPERATIONAL
    assert maintenance.updates.count() == 4
    # A completed window takes no more updates.
    assert 'id="post-update"' not in response.content.decode()


def test_invalid_transition_shows_an_error(console: Client, api: Component) -> None:
    maintenance = _schedule(console, api)
    url = reverse("console:maintenance_detail", args=[maintenance.public_id])
    response = console.post(url, {"status": "verifying", "body": "Checking."})
    assert response.status_code == 400
    assert "cannot become verifying" in str(response.context["form"].errors["status"])
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert maintenance.updates.count() == 1


def test_maintenance_list_shows_upcoming(console: Client, api: Component) -> None:
    maintenance = _schedule(console, api)
    html = console.get(reverse("console:maintenance_list")).content.decode()
    assert maintenance.name in html
    assert "Scheduled" in html
