"""The draft update a reminder carries: per phase, with the next promise and the link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test.utils import override_settings

from incidents import lifecycle
from incidents.audit import Actor
from incidents.drafts import draft_update
from incidents.models import Incident

SYSTEM = Actor.system("test")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def incident(db: None) -> Incident:
    return lifecycle.incident_open(actor=SYSTEM, name="API errors", body="Looking.", now=T0)


@override_settings(CANDOR_CANONICAL_URL="https://status.example.com")
@pytest.mark.parametrize(
    ("phase", "opening"),
    [
        ("investigating", "We are still investigating API errors."),
        ("identified", "We have identified the cause of API errors"),
        ("monitoring", "A fix for API errors is in place"),
    ],
)
def test_each_open_phase_has_its_text_the_next_promise_and_the_link(
    incident: Incident, phase: str, opening: str
) -> None:
    draft = draft_update(incident, phase=phase, now=T0 + timedelta(minutes=12))
    assert draft.startswith(opening)
    # Posted at 12:12 as the first follow-up, the next is due 60 minutes later.
    assert "We will post the next update by 13:12 UTC." in draft
    assert draft.endswith(f"https://status.example.com/incidents/{incident.public_id}")


def test_a_later_draft_promises_the_every_interval(incident: Incident) -> None:
    lifecycle.update_post(
        actor=SYSTEM, incident=incident, body="x", status="identified",
        now=T0 + timedelta(minutes=10),
    )  # fmt: skip
    incident.refresh_from_db()
    draft = draft_update(incident, phase="identified", now=T0 + timedelta(minutes=60))
    assert "next update by 15:00 UTC" in draft  # 13:00 + 120 minutes


def test_the_resolved_draft_promises_nothing_more(incident: Incident) -> None:
    draft = draft_update(incident, phase="resolved", now=T0 + timedelta(minutes=30))
    assert draft.startswith("API errors is resolved.")
    assert "next update" not in draft
