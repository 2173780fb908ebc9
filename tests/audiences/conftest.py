"""A page with something for everyone: public content, content for the "employees"
audience and for the "acme" customer, each marked with words no other reader may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audiences.viewer import SESSION_KEY
from incidents.audit import Actor
from incidents.models import Audience, Component, Incident, IncidentUpdate, Maintenance
from tests.factories import ComponentFactory, promised, standing_words_approve

# Words only one audience may read; a page showing them to anyone else leaks.
EMPLOYEES_ONLY = ("Payroll", "Rollback of the HR portal", "Payroll runs are delayed")
ACME_ONLY = ("ACME gateway", "ACME tunnel renewal", "The ACME dedicated tunnel")


@dataclass
class World:
    employees: Audience
    acme: Audience
    api: Component
    payroll: Component
    gateway: Component
    checkout: Incident
    staff_words: IncidentUpdate
    payroll_incident: Incident
    acme_window: Maintenance


def reader_session(
    client: Client,
    *slugs: str,
    expires_at: datetime | None = None,
    via: str = "link",
) -> Client:
    """Sign `client` in as a reader of `slugs`, as the readers' sign-in would."""
    session = client.session
    session[SESSION_KEY] = {
        "email": "reader@example.com",
        "audiences": list(slugs),
        "via": via,
        "expires_at": (expires_at or datetime.now(UTC) + timedelta(hours=8)).isoformat(),
    }
    session.save()
    return client


@pytest.fixture
def world(actor: Actor, django_capture_on_commit_callbacks: Any) -> World:
    employees = Audience.objects.create(slug="employees", name="Employees")
    acme = Audience.objects.create(slug="acme", name="Customer ACME")
    api = ComponentFactory(name="Public API", position=1)
    payroll = ComponentFactory(name="Payroll", position=2)
    payroll.audiences.set([employees])
    gateway = ComponentFactory(name="ACME gateway", position=3)
    gateway.audiences.set([acme])
    now = timezone.now()
    standing_words_approve("ACME tunnel renewal: the tunnel is renewed; traffic fails over.")
    with django_capture_on_commit_callbacks(execute=True):
        checkout = lifecycle.incident_open(
            actor=actor,
            name="Checkout errors",
            body=promised("We are investigating failed payments."),
            components={api: "partial_outage", payroll: "major_outage"},
        )
        staff_words = lifecycle.audience_words_post(
            actor=actor,
            target=checkout,
            audience=employees,
            body=promised("Rollback of the HR portal is under way."),
        )
        payroll_incident = lifecycle.incident_open(
            actor=actor,
            name="Payroll runs are delayed",
            body=promised("Payroll runs are delayed for some teams."),
            audiences=[employees],
        )
        acme_window = lifecycle.maintenance_schedule(
            actor=actor,
            name="The ACME dedicated tunnel",
            body="ACME tunnel renewal: the tunnel is renewed; traffic fails over.",
            scheduled_for=now + timedelta(days=1),
            scheduled_until=now + timedelta(days=1, hours=1),
            components=[gateway],
            audiences=[acme],
        )
    return World(
        employees, acme, api, payroll, gateway, checkout, staff_words, payroll_incident, acme_window
    )
