"""From signals to component states, proposals and incidents, with time passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from incidents.audit import Actor
from incidents.ingest import automation, sources, wording
from incidents.ingest.formats import ParsedSignal
from incidents.ingest.store import signals_store
from incidents.models import (
    AuditEvent,
    Component,
    ComponentStatus,
    Incident,
    MatchKind,
    Proposal,
    ProposalKind,
    ProposalState,
    Signal,
    Source,
    SourceFormat,
)
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def t0() -> datetime:
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def api() -> Component:
    return ComponentFactory(name="API")


def _source(name: str = "prom", **settings: Any) -> Source:
    settings = {"hold_seconds": 60, "hold_count": 1000, "recover_seconds": 300, **settings}
    source, _ = sources.source_create(
        actor=Actor.system("test-admin"), name=name, format=SourceFormat.GENERIC, **settings
    )
    return source


def _alert(fp: str = "a1", status: str = "firing", **labels: str) -> ParsedSignal:
    return ParsedSignal(
        fingerprint=fp,
        status=status,
        name="HighErrorRate",
        severity=labels.pop("severity", "critical"),
        labels={"service": "API", **labels},
    )


def _receive(source: Source, *signals: ParsedSignal, now: datetime) -> None:
    signals_store(source=source, signals=signals, now=now)
    automation.signals_route(now=now)


def _api_status(api: Component) -> str:
    api.refresh_from_db()
    return api.status


Send = Callable[..., None]


@pytest.fixture
def routed_source(api: Component) -> Source:
    source = _source(can_set_status=True)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    return source


def test_status_changes_only_after_the_signal_persists(
    routed_source: Source, api: Component, t0: datetime
) -> None:
    _receive(routed_source, _alert(), now=t0)
    assert _api_status(api) == ComponentStatus.OPERATIONAL
    automation.components_sweep(now=t0 + timedelta(seconds=59))
    assert _api_status(api) == ComponentStatus.OPERATIONAL
    automation.components_sweep(now=t0 + timedelta(seconds=60))
    assert _api_status(api) == ComponentStatus.MAJOR_OUTAGE
    event = AuditEvent.objects.filter(action="component.status_set").first()
    assert event is not None and event.actor_label == "system:source:prom"


def test_status_changes_after_enough_repeats(api: Component, t0: datetime) -> None:
    source = _source(can_set_status=True, hold_count=3)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    for second in range(2):
        _receive(source, _alert(), now=t0 + timedelta(seconds=second))
    assert _api_status(api) == ComponentStatus.OPERATIONAL
    _receive(source, _alert(), now=t0 + timedelta(seconds=2))
    assert _api_status(api) == ComponentStatus.MAJOR_OUTAGE


def test_recovery_waits_for_its_quiet_period(
    routed_source: Source, api: Component, t0: datetime
) -> None:
    _receive(routed_source, _alert(), now=t0)
    automation.components_sweep(now=t0 + timedelta(minutes=2))
    assert _api_status(api) == ComponentStatus.MAJOR_OUTAGE
    resolved_at = t0 + timedelta(minutes=3)
    _receive(routed_source, _alert(status="resolved"), now=resolved_at)
    automation.components_sweep(now=resolved_at + timedelta(seconds=299))
    assert _api_status(api) == ComponentStatus.MAJOR_OUTAGE
    automation.components_sweep(now=resolved_at + timedelta(seconds=300))
    assert _api_status(api) == ComponentStatus.OPERATIONAL


def test_flapping_alert_does_not_toggle_the_page(
    routed_source: Source, api: Component, t0: datetime
) -> None:
    # Fires and clears every 20 s for ten minutes: never held, marked flapping.
    now = t0
    for i in range(30):
        now = t0 + timedelta(seconds=20 * i)
        _receive(routed_source, _alert(status="firing" if i % 2 == 0 else "resolved"), now=now)
        automation.components_sweep(now=now + timedelta(seconds=10))
        assert _api_status(api) == ComponentStatus.OPERATIONAL
    assert Signal.objects.get().flapping


def test_unmatched_signals_are_kept_for_triage(routed_source: Source, t0: datetime) -> None:
    _receive(routed_source, _alert(service="Billing"), now=t0)
    signal = Signal.objects.get()
    assert signal.routed_at is not None and signal.component is None


def test_rules_route_by_exact_label_and_regex(api: Component, t0: datetime) -> None:
    db = ComponentFactory(name="Database")
    source = _source()
    actor = Actor.system("t")
    sources.rule_add(
        actor=actor, source=source, kind=MatchKind.EXACT, label="job", pattern="pg", component=db
    )
    sources.rule_add(
        actor=actor,
        source=source,
        kind=MatchKind.REGEX,
        label="instance",
        pattern=r"api-\d+",
        component=api,
        status=ComponentStatus.DEGRADED_PERFORMANCE,
        position=1,
    )
    _receive(
        source,
        _alert("x", service="", job="pg"),
        _alert("y", service="", instance="api-12"),
        _alert("z", service="", instance="api-x"),
        now=t0,
    )
    routed = {s.fingerprint: (s.component, s.component_status) for s in Signal.objects.all()}
    assert routed["x"] == (db, ComponentStatus.MAJOR_OUTAGE)
    assert routed["y"] == (api, ComponentStatus.DEGRADED_PERFORMANCE)
    assert routed["z"] == (None, "")


def test_storm_for_one_component_makes_one_proposal(api: Component, t0: datetime) -> None:
    source = _source(hold_seconds=0)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    for batch in range(5):
        alerts = [_alert(f"a{batch}-{i}", instance=f"i{i}") for i in range(1000)]
        _receive(source, *alerts, now=t0 + timedelta(seconds=batch))
    assert Signal.objects.count() == 5000
    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.state) == (ProposalKind.OPEN, ProposalState.PENDING)
    assert proposal.components == {api.public_id: ComponentStatus.MAJOR_OUTAGE}
    assert proposal.impact == "critical"
    assert "API" in proposal.body
    made = AuditEvent.objects.get(action="proposal.made")
    assert made.actor_label == "system:source:prom"
    assert not Incident.objects.exists()  # proposing publishes nothing


def test_failing_components_join_the_pending_proposal(api: Component, t0: datetime) -> None:
    ComponentFactory(name="Database")
    source = _source(hold_seconds=0)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    _receive(source, _alert("a"), now=t0)
    _receive(source, _alert("b", service="Database", severity="warning"), now=t0)
    proposal = Proposal.objects.get()
    assert len(proposal.components) == 2
    assert proposal.name == "Degraded service: API and Database"


def test_accepting_a_proposal_opens_the_incident_then_recovery_proposes_resolution(
    api: Component, actor: Actor, t0: datetime
) -> None:
    source = _source(hold_seconds=0, recover_seconds=60)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    _receive(source, _alert(), now=t0)
    proposal = automation.proposal_accept(actor=actor, proposal=Proposal.objects.get(), now=t0)
    incident = proposal.incident
    assert incident is not None and incident.is_open
    assert _api_status(api) == ComponentStatus.MAJOR_OUTAGE
    _receive(source, _alert(status="resolved"), now=t0 + timedelta(minutes=1))
    automation.components_sweep(now=t0 + timedelta(minutes=2))
    resolve = Proposal.objects.get(kind=ProposalKind.RESOLVE)
    assert resolve.incident == incident and resolve.state == ProposalState.PENDING
    automation.components_sweep(now=t0 + timedelta(minutes=3))
    assert Proposal.objects.filter(kind=ProposalKind.RESOLVE).count() == 1
    automation.proposal_accept(actor=actor, proposal=resolve, now=t0 + timedelta(minutes=4))
    incident.refresh_from_db()
    assert not incident.is_open
    assert _api_status(api) == ComponentStatus.OPERATIONAL


def test_a_recovered_component_withdraws_its_proposal(api: Component, t0: datetime) -> None:
    source = _source(hold_seconds=0, recover_seconds=0)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    _receive(source, _alert(), now=t0)
    _receive(source, _alert(status="resolved"), now=t0 + timedelta(minutes=1))
    assert Proposal.objects.get().state == ProposalState.WITHDRAWN


def test_source_allowed_to_open_opens_the_incident_itself(api: Component, t0: datetime) -> None:
    source = _source(hold_seconds=0, can_open=True)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    for i in range(3):
        _receive(source, _alert(f"a{i}"), now=t0 + timedelta(seconds=i))
    incident = Incident.objects.get()
    assert incident.impact == "critical"
    assert _api_status(api) == ComponentStatus.MAJOR_OUTAGE
    opened = AuditEvent.objects.get(action="incident.opened")
    assert opened.actor_label == "system:source:prom"
    assert not Proposal.objects.filter(state=ProposalState.PENDING).exists()
    # In the approved investigating template, promising the critical impact's first update.
    first = incident.updates.get()
    assert first.body.startswith(f"We are investigating reports of problems with {api.name}")
    assert f"Next update by {incident.next_update_due:%H:%M} UTC." in first.body


def test_record_only_source_changes_nothing(api: Component, t0: datetime) -> None:
    source = _source(hold_seconds=0, can_propose=False)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    _receive(source, _alert(), now=t0)
    assert not Proposal.objects.exists() and not Incident.objects.exists()
    assert _api_status(api) == ComponentStatus.OPERATIONAL


def test_dismissed_proposal_is_not_made_again_by_the_same_storm(
    api: Component, actor: Actor, t0: datetime
) -> None:
    source = _source(hold_seconds=0)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    _receive(source, _alert("a"), now=t0)
    automation.proposal_dismiss(actor=actor, proposal=Proposal.objects.get(), now=t0)
    _receive(source, _alert("b"), now=t0 + timedelta(seconds=5))
    assert Proposal.objects.get().state == ProposalState.DISMISSED


@pytest.mark.parametrize("path", ["upsert", "portable"])
def test_both_store_paths_keep_one_row_with_its_history(
    path: str, routed_source: Source, t0: datetime
) -> None:
    from incidents.ingest import store

    write = store._upsert if path == "upsert" else store._store_portable
    for i, status in enumerate(["firing", "firing", "resolved", "firing"]):
        write(routed_source, [_alert(status=status)], t0 + timedelta(seconds=i))
    signal = Signal.objects.get()
    assert [s for _, s in signal.transitions] == ["firing", "resolved", "firing"]
    assert (signal.status, signal.received_count, signal.routed_at) == ("firing", 1, None)
    for i in range(store.MAX_TRANSITIONS + 5):
        status = "resolved" if i % 2 == 0 else "firing"
        write(routed_source, [_alert(status=status)], t0 + timedelta(minutes=i + 1))
    assert len(Signal.objects.get().transitions) == store.MAX_TRANSITIONS


def test_a_source_whose_incident_lifecycle_refuses_proposes_it_instead(
    api: Component, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the wording policy will do to text it does not approve: lifecycle refuses.
    monkeypatch.setattr(wording, "investigating_text", lambda components, now, **_: "")
    source = _source(hold_seconds=0, can_open=True)
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    _receive(source, _alert(), now=t0)
    assert not Incident.objects.exists()
    proposal = Proposal.objects.get()
    assert proposal.state == ProposalState.PENDING
