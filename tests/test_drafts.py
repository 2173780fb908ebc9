"""The draft update a reminder carries: the phase's approved template, filled in, with the
next promise, so it can be posted as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test.utils import override_settings

from incidents import lifecycle, wording
from incidents.audit import Actor
from incidents.models import Incident
from incidents.wording import approvals, drafts
from incidents.wording.drafts import draft_update
from tests.factories import ComponentFactory, promised

SYSTEM = Actor.system("test")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def incident(db: None) -> Incident:
    api = ComponentFactory(name="Public API")
    values = wording.values_for(
        title="API errors", component_names=[api.name], started_at=T0,
        next_update_at=T0 + timedelta(minutes=15),
    )  # fmt: skip
    return lifecycle.incident_open(
        actor=SYSTEM, name="API errors", now=T0, components={api: "partial_outage"},
        body=approvals.template_words("investigating", values) or "",
    )  # fmt: skip


@pytest.mark.wording  # the full default policy, next-update rule included
@pytest.mark.parametrize(
    ("phase", "opening"),
    [
        ("investigating", "We are investigating reports of problems with Public API since 12:00"),
        ("identified", "We have identified the cause of the problems with Public API"),
        # One component or several: no verb agrees with {components} ("Public API are").
        ("monitoring", "A fix has been applied and we are seeing recovery for Public API."),
    ],
)
def test_each_open_phase_drafts_its_approved_template_ready_to_post(
    incident: Incident, phase: str, opening: str
) -> None:
    posted_at = T0 + timedelta(minutes=12)
    draft = draft_update(incident, phase=phase, now=posted_at)
    assert draft.startswith(opening)
    # Posted at 12:12 as the first follow-up, the next is due 60 minutes later.
    assert "Next update by 13:12 UTC." in draft
    update = lifecycle.update_post(
        actor=SYSTEM, incident=incident, body=draft, status=phase, now=posted_at
    )
    assert update.body == draft


def test_a_later_draft_promises_the_every_interval(incident: Incident) -> None:
    lifecycle.update_post(
        actor=SYSTEM, incident=incident,
        body=promised("x", now=T0 + timedelta(minutes=10)),
        status="identified",
        now=T0 + timedelta(minutes=10),
    )  # fmt: skip
    incident.refresh_from_db()
    draft = draft_update(incident, phase="identified", now=T0 + timedelta(minutes=60))
    assert "Next update by 15:00 UTC" in draft  # 13:00 + 120 minutes


def test_the_resolved_draft_promises_nothing_more(incident: Incident) -> None:
    draft = draft_update(incident, phase="resolved", now=T0 + timedelta(minutes=30))
    assert draft.startswith("This incident has been resolved. Service is back to normal for Public")
    assert "Next update" not in draft


@override_settings(CANDOR_CANONICAL_URL="https://status.example.com")
def test_without_an_approved_template_the_draft_is_the_built_in_text(
    incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drafts.approvals, "template_words", lambda phase, values: None)
    draft = draft_update(incident, phase="identified", now=T0 + timedelta(minutes=12))
    assert draft.startswith("We have identified the cause of API errors")
    assert "We will post the next update by 13:12 UTC." in draft
    assert draft.endswith(f"https://status.example.com/incidents/{incident.public_id}")
