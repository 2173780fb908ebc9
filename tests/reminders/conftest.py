from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine

from incidents.audit import Actor
from incidents.models import Contact
from incidents.reminders.services import contact_save

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class People:
    owner: Contact  # Olivia owns incidents she is given
    on_call: Contact  # Oscar is reminded of what nobody owns
    comms_lead: Contact  # first on the escalation list
    commander: Contact  # second


@pytest.fixture
def people(db: None) -> People:
    actor = Actor.system("test")
    return People(
        owner=contact_save(
            actor=actor, name="Olivia", email="olivia@example.com", phone="+14155550101"
        ),
        on_call=contact_save(actor=actor, name="Oscar", email="oscar@example.com", on_call=True),
        comms_lead=contact_save(
            actor=actor, name="Cora", email="cora@example.com", escalation_rank=1
        ),
        commander=contact_save(actor=actor, name="Ike", email="ike@example.com", escalation_rank=2),
    )


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Time stands at T0 until a test moves it."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller
