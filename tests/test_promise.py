"""One promise: what the words say about the next update is what the page keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import lifecycle, wording
from incidents.audit import Actor
from incidents.cadence.promise import moment_of
from incidents.console.views.wording import offered_templates
from incidents.models import Incident
from incidents.wording import approvals
from incidents.wording.drafts import draft_update, next_update_at
from tests.factories import ComponentFactory

SYSTEM = Actor.system("test")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _open(now: datetime) -> Incident:
    api = ComponentFactory(name="Public API")
    values = wording.values_for(
        title="API errors", component_names=[api.name], started_at=now,
        next_update_at=now + timedelta(minutes=15),
    )  # fmt: skip
    return lifecycle.incident_open(
        actor=SYSTEM, name="API errors", now=now, components={api: "partial_outage"},
        body=approvals.template_words("investigating", values) or "",
    )  # fmt: skip


@pytest.fixture
def incident(db: None) -> Incident:
    return _open(T0)


@pytest.mark.wording
def test_words_drafted_then_posted_minutes_later_keep_their_promise(incident: Incident) -> None:
    draft = draft_update(incident, phase="identified", now=T0 + timedelta(minutes=5))
    assert "Next update by 13:05 UTC." in draft
    lifecycle.update_post(
        actor=SYSTEM, incident=incident, body=draft, status="identified",
        now=T0 + timedelta(minutes=8),
    )  # fmt: skip
    incident.refresh_from_db()
    # The cadence alone would say 13:08; the page keeps what the words told the reader.
    assert incident.next_update_due == T0 + timedelta(minutes=65)


@pytest.mark.wording
def test_words_whose_promised_time_has_passed_are_refused(incident: Incident) -> None:
    draft = draft_update(incident, phase="identified", now=T0 + timedelta(minutes=5))
    with pytest.raises(ValidationError) as refused:
        lifecycle.update_post(
            actor=SYSTEM, incident=incident, body=draft, status="identified",
            now=T0 + timedelta(minutes=70),
        )  # fmt: skip
    assert "13:05 UTC, which has passed" in refused.value.message_dict["body"][0]
    incident.refresh_from_db()
    assert incident.updates.count() == 1
    assert incident.next_update_due == T0 + timedelta(minutes=15)


@pytest.mark.wording
def test_words_promising_later_than_the_cadence_are_refused(incident: Incident) -> None:
    draft = draft_update(incident, phase="identified", now=T0 + timedelta(minutes=5))
    late = draft.replace("13:05 UTC", "15:30 UTC")
    with pytest.raises(ValidationError) as refused:
        lifecycle.update_post(
            actor=SYSTEM, incident=incident, body=late, status="identified",
            now=T0 + timedelta(minutes=5),
        )  # fmt: skip
    reason = refused.value.message_dict["body"][0]
    assert "15:30 UTC" in reason and "13:05 UTC at the latest" in reason


@pytest.mark.wording
def test_an_opening_may_promise_sooner_than_the_cadence(db: None) -> None:
    api = ComponentFactory(name="Public API")
    values = wording.values_for(
        title="API errors", component_names=[api.name], started_at=T0,
        next_update_at=T0 + timedelta(minutes=10),
    )  # fmt: skip
    incident = lifecycle.incident_open(
        actor=SYSTEM, name="API errors", now=T0, components={api: "partial_outage"},
        body=approvals.template_words("investigating", values) or "",
    )  # fmt: skip
    assert incident.next_update_due == T0 + timedelta(minutes=10)


@pytest.mark.wording
def test_the_console_offers_templates_promising_the_cadence_time(db: None) -> None:
    now = timezone.now()
    incident = _open(now)
    expected = wording.format_time(next_update_at(incident, now=timezone.now()))
    identified = next(o for o in offered_templates(incident) if o.status == "identified")
    assert f"Next update by {expected}." in identified.text


def test_a_bare_clock_time_means_the_occurrence_nearest_the_cadence() -> None:
    near = datetime(2026, 11, 23, 23, 50, tzinfo=UTC)
    assert moment_of("00:05 UTC", near=near) == datetime(2026, 11, 24, 0, 5, tzinfo=UTC)
    assert moment_of("23:40 UTC", near=near) == datetime(2026, 11, 23, 23, 40, tzinfo=UTC)
    assert moment_of("2026-11-25 01:00 UTC", near=near) == datetime(2026, 11, 25, 1, tzinfo=UTC)
