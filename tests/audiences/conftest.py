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
from incidents.models import (
    Audience,
    AudienceMember,
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    Reader,
)
from incidents.readers.session import READER_PK_KEY
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


def reader_session_fill(
    session: Any,
    *slugs: str,
    expires_at: datetime | None = None,
    via: str = "link",
    email: str = "reader@example.com",
) -> None:
    """What the readers' sign-in leaves in a session (readers/session.py): a reader, their
    memberships of the audiences among `slugs` that exist, and the `candor_reader` value;
    the reader middleware checks it against them at each request."""
    now = timezone.now()
    reader = Reader.objects.get_or_create(email=email, issuer="", defaults={"created_at": now})[0]
    for audience in Audience.objects.filter(slug__in=slugs):
        AudienceMember.objects.get_or_create(
            audience=audience, reader=reader, defaults={"via": via, "created_at": now}
        )
    session[SESSION_KEY] = {
        "email": email,
        "audiences": list(slugs),
        "via": via,
        "expires_at": (expires_at or datetime.now(UTC) + timedelta(hours=8)).isoformat(),
    }
    session[READER_PK_KEY] = reader.pk


def reader_session(
    client: Client,
    *slugs: str,
    expires_at: datetime | None = None,
    via: str = "link",
) -> Client:
    """Sign `client` in as a reader of `slugs`, as the readers' sign-in would."""
    session = client.session
    reader_session_fill(session, *slugs, expires_at=expires_at, via=via)
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


def pages_as_expected(world: World, *, anonymous: str, employee: str, customer: str) -> None:
    """What three readers saw of `page_paths(world)` (status line, then the text of each):
    the public page; the public page and the employees' words; the public page and ACME's."""
    assert "Checkout errors" in anonymous
    assert not [w for w in EMPLOYEES_ONLY + ACME_ONLY if w in anonymous]
    assert f"404 /incidents/{world.payroll_incident.public_id}" in anonymous
    assert "reading this page as" not in anonymous

    assert "Checkout errors" in employee and all(w in employee for w in EMPLOYEES_ONLY)
    assert not [w for w in ACME_ONLY if w in employee]
    assert "You are reading this page as a member of Employees" in employee

    assert "Checkout errors" in customer and all(w in customer for w in ACME_ONLY)
    assert not [w for w in EMPLOYEES_ONLY if w in customer]
    assert f"404 /incidents/{world.payroll_incident.public_id}" in customer
    assert "You are reading this page as a member of Customer ACME" in customer


def page_paths(world: World) -> list[str]:
    """The pages the browser tests read: front page, a public incident with words for
    employees, the employees' own incident, ACME's window."""
    return [
        "/",
        f"/incidents/{world.checkout.public_id}",
        f"/incidents/{world.payroll_incident.public_id}",
        f"/maintenance/{world.acme_window.public_id}",
    ]
