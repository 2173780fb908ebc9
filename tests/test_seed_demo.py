from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from incidents.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERNAME
from incidents.models import (
    AuditEvent,
    Component,
    ComponentStatusChange,
    Incident,
    Maintenance,
    Postmortem,
)

pytestmark = pytest.mark.django_db


def test_the_demo_is_a_real_page_with_history_and_loads_once(client: Client) -> None:
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # a second `make run` leaves it as it is

    assert Component.objects.count() == 8
    assert Incident.objects.filter(status="resolved").count() == 7
    open_incident = Incident.objects.exclude(status="resolved").get()
    assert open_incident.updates.count() == 2
    assert Maintenance.objects.get().status == "scheduled"
    # Outages in the past left history rows, which the uptime bars draw.
    assert ComponentStatusChange.objects.filter(status="major_outage").exists()
    assert AuditEvent.objects.filter(actor_label="system:demo").count() > 20
    assert authenticate(username=DEMO_USERNAME, password=DEMO_PASSWORD) is not None

    html = client.get("/").content.decode()
    assert open_incident.name in html
    assert "Primary database upgrade" in html
    # The latest past incident has its postmortem, approved by both demo approvers.
    postmortem = Postmortem.objects.select_related("incident").get()
    assert postmortem.published_at is not None
    page = client.get(f"/incidents/{postmortem.incident.public_id}").content.decode()
    assert "Configuration changes now go to one region first" in page


def test_the_demo_proposes_the_open_incidents_downstream_impact(
    django_capture_on_commit_callbacks: object,
) -> None:
    from incidents.models import ComponentDependency, Proposal

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        call_command("seed_demo", verbosity=0)
    assert ComponentDependency.objects.count() == 7
    # File storage is degraded; Web application depends on it (soft).
    proposal = Proposal.objects.get(kind="impact", state="pending")
    web = Component.objects.get(name="Web application")
    assert proposal.components == {web.public_id: "degraded_performance"}
