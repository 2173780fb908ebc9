"""Signals on a component inside a running maintenance window: stored, marked as their
source chose, never acted on; evaluated at once when the window ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from incidents import lifecycle
from incidents.audit import Actor
from incidents.ingest import automation, sources
from incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    Maintenance,
    MatchKind,
    Proposal,
    ProposalState,
    Signal,
    Source,
    WindowSignals,
)
from tests.factories import ComponentFactory
from tests.ingest.test_automation import _alert, _receive, _source

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

ACTOR = Actor.system("test")


@pytest.fixture
def t0() -> datetime:
    return datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def console(responder: User) -> Client:
    client = Client()
    client.force_login(responder)
    return client


def _routed(**settings: object) -> Source:
    source = _source(hold_seconds=0, **settings)
    sources.rule_add(actor=ACTOR, source=source, kind=MatchKind.SERVICE)
    return source


def _window(t0: datetime, *components: Component, auto_start: bool = False) -> Maintenance:
    maintenance = lifecycle.maintenance_schedule(
        actor=ACTOR,
        name="Database upgrade",
        body="Upgrading PostgreSQL.",
        scheduled_for=t0,
        scheduled_until=t0 + timedelta(hours=1),
        components=components,
        auto_start=auto_start,
        auto_complete=False,
        now=t0 - timedelta(days=1),
    )
    if not auto_start:
        lifecycle.maintenance_update_post(
            actor=ACTOR, maintenance=maintenance, body="Starting.", status="in_progress", now=t0
        )
    return maintenance


def _complete(maintenance: Maintenance, at: datetime, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.maintenance_update_post(
            actor=ACTOR, maintenance=maintenance, body="Done.", status="completed", now=at
        )


def test_signals_during_a_window_open_nothing_and_are_recorded_as_such(
    t0: datetime, django_capture_on_commit_callbacks, console: Client
) -> None:  # type: ignore[no-untyped-def]
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Web")
    assert web.status == ComponentStatus.OPERATIONAL
    source = _routed(can_set_status=True, can_open=True)
    maintenance = _window(t0, api)

    _receive(source, _alert("a1"), _alert("w1", service="Web"), now=t0 + timedelta(minutes=1))
    automation.components_sweep(now=t0 + timedelta(minutes=5))

    # Web is outside the window and behaves as usual; API's alert changes nothing.
    incident = Incident.objects.get()
    assert list(incident.components.all()) == [web]
    api.refresh_from_db()
    assert api.status == ComponentStatus.UNDER_MAINTENANCE
    assert api.manual_status == ComponentStatus.OPERATIONAL
    marks = dict(Signal.objects.values_list("fingerprint", "during_maintenance"))
    assert marks == {"a1": "record", "w1": ""}
    page = console.get(reverse("console:signals")).content.decode()
    assert page.count("(during maintenance)") == 1

    # Still firing when the window ends: acted on by the evaluation the completion queues.
    _complete(maintenance, t0 + timedelta(minutes=50), django_capture_on_commit_callbacks)
    assert Incident.objects.count() == 2
    api.refresh_from_db()
    assert api.status == ComponentStatus.MAJOR_OUTAGE


def test_a_muting_source_hides_its_signals_from_the_list_and_an_alert_over_by_the_end_opens_nothing(
    t0: datetime, django_capture_on_commit_callbacks, console: Client
) -> None:  # type: ignore[no-untyped-def]
    api = ComponentFactory(name="API")
    source = _routed(during_maintenance=WindowSignals.MUTE)
    maintenance = _window(t0, api)
    _receive(source, _alert("a1"), now=t0 + timedelta(minutes=1))
    _receive(source, _alert("a1", status="resolved"), now=t0 + timedelta(minutes=10))
    automation.components_sweep(now=t0 + timedelta(minutes=30))
    assert not Proposal.objects.exists()
    assert Signal.objects.get().during_maintenance == "mute"
    assert "HighErrorRate" not in console.get(reverse("console:signals")).content.decode()

    _complete(maintenance, t0 + timedelta(minutes=50), django_capture_on_commit_callbacks)
    automation.components_sweep(now=t0 + timedelta(minutes=51))
    assert not Proposal.objects.exists() and not Incident.objects.exists()


def test_a_window_due_to_start_holds_its_components_before_the_sweep_starts_it(
    t0: datetime,
) -> None:
    api = ComponentFactory(name="API")
    source = _routed()
    _window(t0, api, auto_start=True)  # still "scheduled": the beat has not run yet
    _receive(source, _alert("a1"), now=t0 + timedelta(seconds=1))
    assert not Proposal.objects.exists()
    # Outside the window's time the same alert proposes as usual.
    _receive(source, _alert("a2"), now=t0 + timedelta(hours=2))
    assert Proposal.objects.get().state == ProposalState.PENDING


def test_the_console_sets_a_source_to_mute_and_refuses_anything_else(console: Client) -> None:
    source = _routed()
    url = reverse("console:source_detail", args=[source.name])
    settings = {
        "can_propose": "on", "rate_per_second": 200, "burst": 1000, "hold_seconds": 0,
        "hold_count": 3, "recover_seconds": 300, "flap_changes": 4, "flap_window_seconds": 600,
    }  # fmt: skip
    assert (
        "Signals on a component in a running maintenance window"
        in console.get(url).content.decode()
    )
    assert console.post(url, {**settings, "during_maintenance": "mute"}).status_code == 302
    source.refresh_from_db()
    assert source.during_maintenance == WindowSignals.MUTE
    refused = console.post(url, {**settings, "during_maintenance": "\u202eignore\x00"})
    assert refused.status_code == 400
    source.refresh_from_db()
    assert source.during_maintenance == WindowSignals.MUTE
