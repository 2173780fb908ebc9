from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import (
    AuditAction,
    AuditEvent,
    Component,
    ComponentStatus,
    Incident,
    IncidentUpdate,
)
from tests.factories import promised


def _open_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "Elevated API errors",
        "impact": "major",
        "status": "investigating",
        "body": promised("We are **investigating** elevated error rates."),
        **overrides,
    }


def _open(console: Client, component: Component) -> Incident:
    data = _open_form(**{f"component_{component.public_id}": "partial_outage"})
    response = console.post(reverse("console:incident_new"), data)
    assert response.status_code == 302, response.content.decode()
    return Incident.objects.get()


def test_opening_an_incident_publishes_it_and_marks_components(
    console: Client, api: Component, dashboard: Component
) -> None:
    data = _open_form(**{f"component_{api.public_id}": "partial_outage"})
    response = console.post(reverse("console:incident_new"), data, follow=True)

    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "console:incident_detail", args=[incident.public_id]
    )
    assert "is open and published" in response.content.decode()
    assert (incident.name, incident.impact, incident.status) == (
        "Elevated API errors", "major", "investigating",
    )  # fmt: skip
    update = incident.updates.get()
    assert "<strong>investigating</strong>" in update.body_html
    api.refresh_from_db()
    dashboard.refresh_from_db()
    assert api.status == ComponentStatus.PARTIAL_OUTAGE
    assert dashboard.status == ComponentStatus.OPERATIONAL
    event = AuditEvent.objects.get(action=AuditAction.INCIDENT_OPENED)
    assert (event.channel, event.actor_label, event.ip) == ("console", "rita", "127.0.0.1")


def test_new_incident_form_offers_no_resolved_status_and_no_maintenance(
    console: Client, api: Component
) -> None:
    html = console.get(reverse("console:incident_new")).content.decode()
    assert 'value="resolved"' not in html
    assert 'value="under_maintenance"' not in html
    assert f'name="component_{api.public_id}"' in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"body": "   "}, "body", "This field is required."),
        ({"status": "resolved"}, "status", "Select a valid choice."),
        ({"impact": "apocalyptic"}, "impact", "Select a valid choice."),
        ({"component_nosuchthing1": "major_outage"}, None, "Unknown component nosuchthing1"),
    ],
)
def test_invalid_incident_form_shows_errors_and_saves_nothing(
    console: Client, api: Component, overrides: dict[str, str], field: str | None, message: str
) -> None:
    response = console.post(reverse("console:incident_new"), _open_form(**overrides))

    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors[field] if field else form.non_field_errors()
    assert any(message in e for e in errors), errors
    assert "Nothing was saved" in response.content.decode()
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_bad_component_status_is_shown_on_that_component(console: Client, api: Component) -> None:
    data = _open_form(**{f"component_{api.public_id}": "on_fire"})
    response = console.post(reverse("console:incident_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[f"component_{api.public_id}"]
    assert not Incident.objects.exists()


def test_posting_an_update_changes_status_impact_and_components(
    console: Client, api: Component, dashboard: Component
) -> None:
    incident = _open(console, api)
    url = reverse("console:incident_detail", args=[incident.public_id])
    response = console.post(
        url,
        {
            "status": "identified",
            "impact": "critical",
            f"component_{api.public_id}": "major_outage",
            f"component_{dashboard.public_id}": "degraded_performance",
            "body": promised("Root cause found: a bad deploy."),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Update posted and published." in response.content.decode()
    assert "Root cause found" in response.content.decode()
    incident.refresh_from_db()
    assert (incident.status, incident.impact) == ("identified", "critical")
    api.refresh_from_db()
    dashboard.refresh_from_db()
    assert api.status == ComponentStatus.MAJOR_OUTAGE
    assert dashboard.status == ComponentStatus.DEGRADED_PERFORMANCE
    assert AuditEvent.objects.filter(
        action=AuditAction.INCIDENT_UPDATED, channel="console"
    ).exists()


def test_update_with_no_changes_keeps_impact_and_components(
    console: Client, api: Component
) -> None:
    incident = _open(console, api)
    url = reverse("console:incident_detail", args=[incident.public_id])
    console.post(
        url, {"status": "monitoring", "impact": "", "body": promised("A fix is rolling out.")}
    )
    incident.refresh_from_db()
    assert (incident.status, incident.impact) == ("monitoring", "major")
    api.refresh_from_db()
    assert api.status == ComponentStatus.PARTIAL_OUTAGE


def test_resolving_restores_component_status(console: Client, api: Component) -> None:
    incident = _open(console, api)
    response = console.post(
        reverse("console:incident_resolve", args=[incident.public_id]),
        {"resolve-body": "All systems are back to normal."},
        follow=True,
    )
    assert "is resolved" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at is not None
    api.refresh_from_db()
    assert api.status == ComponentStatus.OPERATIONAL
    assert AuditEvent.objects.filter(action=AuditAction.INCIDENT_RESOLVED).count() == 1
    # A resolved incident offers no more forms.
    assert 'id="post-update"' not in response.content.decode()


def test_resolving_through_the_update_form_restores_components(
    console: Client, api: Component
) -> None:
    incident = _open(console, api)
    console.post(
        reverse("console:incident_detail", args=[incident.public_id]),
        {"status": "resolved", "body": "Fixed."},
    )
    api.refresh_from_db()
    assert api.status == ComponentStatus.OPERATIONAL


def test_update_on_a_resolved_incident_shows_lifecycle_refusal(
    console: Client, api: Component, actor: Actor
) -> None:
    incident = _open(console, api)
    lifecycle.incident_resolve(actor=actor, incident=incident, body="Done.")

    response = console.post(
        reverse("console:incident_detail", args=[incident.public_id]),
        {"status": "monitoring", "body": promised("Still watching.")},
    )
    assert response.status_code == 400
    assert "This incident is resolved" in str(response.context["update_form"].errors["status"])
    assert IncidentUpdate.objects.filter(incident=incident).count() == 2


def test_empty_resolution_message_is_refused(console: Client, api: Component) -> None:
    incident = _open(console, api)
    response = console.post(
        reverse("console:incident_resolve", args=[incident.public_id]), {"resolve-body": ""}
    )
    assert response.status_code == 400
    assert response.context["resolve_form"].errors["body"]
    incident.refresh_from_db()
    assert incident.is_open


def test_dashboard_lists_open_incidents_and_component_states(
    console: Client, api: Component
) -> None:
    incident = _open(console, api)
    html = console.get(reverse("console:dashboard")).content.decode()
    assert incident.name in html
    assert reverse("console:incident_detail", args=[incident.public_id]) in html
    assert "1 open incident" in html
    assert "Partial outage" in html
    assert " UTC" in html


def test_unknown_incident_is_404(console: Client) -> None:
    assert console.get(reverse("console:incident_detail", args=["nope"])).status_code == 404
