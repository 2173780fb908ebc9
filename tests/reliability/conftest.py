"""The hand-worked November (fixture.py) stored as rows, as the app would have stored them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine

from incidents.audit import Actor
from incidents.models import (
    Component,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Maintenance,
    MaintenanceComponent,
)
from incidents.reliability.visibility import FIGURES, report_visibility_set
from tests.factories import ComponentFactory
from tests.reliability import fixture as f

SYSTEM = Actor.system("test")


@dataclass
class Stored:
    a: Component
    b: Component
    incidents: dict[str, Incident]


@pytest.fixture
def at_now() -> Iterator[None]:
    with time_machine.travel(f.NOW, tick=False):
        yield


def report_on(*, hidden: tuple[str, ...] = (), figures: tuple[str, ...] = tuple(FIGURES)) -> None:
    report_visibility_set(actor=SYSTEM, enabled=True, figures=figures, hidden=hidden)


@pytest.fixture
def november(db: None, at_now: None) -> Stored:
    a = ComponentFactory(name="API", position=1, history=f.A_STATUSES[0][0])
    b = ComponentFactory(name="Web", position=2, history=f.B_CREATED)
    ComponentStatusChange.objects.bulk_create(
        ComponentStatusChange(component=a, status=status, at=at) for at, status in f.A_STATUSES[1:]
    )
    ((start, end),) = f.A_MAINTENANCE
    window = Maintenance.objects.create(
        name="Database upgrade", status="completed", scheduled_for=start, scheduled_until=end,
        started_at=start, completed_at=end, created_at=f.NOVEMBER, updated_at=end,
    )  # fmt: skip
    MaintenanceComponent.objects.create(maintenance=window, component=a)
    stored = {}
    for name, impact, started, first, resolved, promises, touches, next_due in f.INCIDENTS:
        incident = Incident.objects.create(
            name=name, impact=impact, started_at=started, created_at=started,
            updated_at=resolved or first, status="resolved" if resolved else "investigating",
            resolved_at=resolved, next_update_due=next_due,
        )  # fmt: skip
        IncidentComponent.objects.create(
            incident=incident, component=a if touches == "A" else b, status="major_outage"
        )
        posts = [(first, None)] + [(posted, due) for due, posted in promises]
        for posted, due in posts:
            IncidentUpdate.objects.create(
                incident=incident, body="Update.", body_html="<p>Update.</p>", status="identified",
                created_at=posted, display_at=posted, due_at=due,
            )  # fmt: skip
        stored[name] = incident
    return Stored(a, b, stored)
