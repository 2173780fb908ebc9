"""From stored signals to component states, proposals and incidents, through lifecycle.

`signals_route` routes what was received since it last ran; `component_evaluate` applies
hysteresis to one component's signals under a lock on its ComponentSignalState row and,
when the outcome changes, acts with the grants of the sources involved:
  - can_set_status: sets the component's status (and undoes only its own on recovery);
  - can_open: opens an incident with automation's text, unless one already covers it;
  - can_propose: adds the component to the one pending proposal (creating it if none).
On recovery the component leaves a pending proposal, and an incident that signals opened
or proposed gets a proposal to resolve it once all its components have recovered.
A component inside a running maintenance window (ingest/windows.py) is not acted on: its
signals are stored and routed (marked per their source's choice), and its state holds
until the window ends, when lifecycle queues `components_evaluate` for its components.
Every write is a lifecycle call or an audited proposal, acting as "system:source:<name>".
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor, audit_record
from incidents.dependencies import proposals as impact_proposals
from incidents.ingest import hysteresis, routing, windows, wording
from incidents.ingest.wording import suggested_impact
from incidents.models import (
    AuditAction,
    Component,
    ComponentSignalState,
    ComponentStatus,
    IncidentComponent,
    IncidentImpact,
    Proposal,
    ProposalKind,
    ProposalState,
    RoutingRule,
    Signal,
    SignalStatus,
    Source,
    WindowSignals,
)

log = logging.getLogger(__name__)

ROUTE_BATCH = 2000
# Resolved signals older than this no longer hold a component (longer than any window).
HISTORY = timedelta(days=1)


def source_actor(source: Source) -> Actor:
    return Actor.system(f"source:{source.name}")


def policy(source: Source) -> hysteresis.Policy:
    return hysteresis.Policy(
        hold=timedelta(seconds=source.hold_seconds),
        hold_count=max(1, source.hold_count),
        recover=timedelta(seconds=source.recover_seconds),
        flap_changes=max(2, source.flap_changes),
        flap_window=timedelta(seconds=source.flap_window_seconds),
    )


# -- routing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Routed:
    routed: int
    evaluated: int


def signals_route(*, now: datetime | None = None) -> Routed:
    """Route every signal received since it was last routed, then evaluate the
    components they concern. Concurrent runs split the work (skip_locked)."""
    now = now or timezone.now()
    routed, touched = 0, set[int]()
    while True:
        batch = _route_batch(now)
        routed += len(batch)
        touched |= batch
        if len(batch) < ROUTE_BATCH:
            break
    for component_id in sorted(touched - {0}):
        component_evaluate(component_id=component_id, now=now)
    return Routed(routed=routed, evaluated=len(touched - {0}))


def _route_batch(now: datetime) -> set[int]:
    by_name = {c.name.strip().lower(): c for c in Component.objects.all()}
    in_window = windows.components_in_window(now=now)
    rules: dict[int, list[RoutingRule]] = {}
    modes: dict[int, str] = {}
    with transaction.atomic():
        rows = list(
            Signal.objects.select_for_update(skip_locked=True)
            .filter(routed_at__isnull=True)
            .order_by("pk")[:ROUTE_BATCH]
        )
        if rows:
            modes = dict(
                Source.objects.filter(pk__in={r.source_id for r in rows}).values_list(
                    "pk", "during_maintenance"
                )
            )
        outcomes: dict[tuple[int | None, str, str], list[int]] = defaultdict(list)
        for row in rows:
            if row.source_id not in rules:
                rules[row.source_id] = list(RoutingRule.objects.filter(source_id=row.source_id))
            found = routing.route(
                row.labels, row.severity, rules=rules[row.source_id], components_by_name=by_name
            )
            row.component = found.component
            component_id = found.component.pk if found.component else None
            # Received while its component's window ran: marked as its source chose.
            during = (
                modes.get(row.source_id, WindowSignals.RECORD) if component_id in in_window else ""
            )
            outcomes[(component_id, found.status, during)].append(row.pk)
        # One UPDATE per outcome: a storm routes thousands of signals the same way.
        for (component_id, status, during), ids in outcomes.items():
            Signal.objects.filter(pk__in=ids).update(
                component_id=component_id,
                component_status=status,
                during_maintenance=during,
                routed_at=now,
            )
    # 0 stands for "routed nowhere" so a batch of unmatched signals still counts.
    return {row.component_id or 0 for row in rows} if rows else set()


def components_sweep(*, now: datetime | None = None) -> int:
    """Re-evaluate every component whose signals may still change it: hold and quiet
    periods end with the clock, not with a new signal (the beat task)."""
    now = now or timezone.now()
    ids = set(
        Signal.objects.filter(component__isnull=False)
        .filter(Q(status=SignalStatus.FIRING) | Q(last_received_at__gte=now - HISTORY))
        .values_list("component_id", flat=True)
    ) | set(
        ComponentSignalState.objects.exclude(status=ComponentStatus.OPERATIONAL).values_list(
            "component_id", flat=True
        )
    )
    for component_id in sorted(ids):
        component_evaluate(component_id=component_id, now=now)
    return len(ids)


def components_evaluate(component_ids: list[int], *, now: datetime | None = None) -> int:
    """Evaluate these components now (a window over them ended); how many."""
    now = now or timezone.now()
    for component_id in sorted(set(component_ids)):
        component_evaluate(component_id=component_id, now=now)
    return len(set(component_ids))


# -- evaluation ------------------------------------------------------------------------


# What evaluation reads of each signal: plain tuples, since a storm is many thousands.
_FIELDS = ("pk", "source_id", "status", "component_status", "transitions", "received_count",
           "flapping")  # fmt: skip


def _view(row: tuple[Any, ...], policies: dict[int, hysteresis.Policy]) -> hysteresis.SignalView:
    _, source_id, status, component_status, transitions, received_count, _ = row
    return hysteresis.SignalView(
        status=status,
        component_status=component_status or ComponentStatus.OPERATIONAL,
        transitions=tuple((datetime.fromisoformat(at), s) for at, s in transitions),
        received_count=received_count,
        policy=policies[source_id],
    )


def component_evaluate(*, component_id: int, now: datetime) -> str:
    """Apply hysteresis to one component's signals and act on a change; returns the
    component's signal status."""
    with transaction.atomic():
        ComponentSignalState.objects.get_or_create(component_id=component_id)
        state = ComponentSignalState.objects.select_for_update().get(component_id=component_id)
        rows = list(
            Signal.objects.filter(component_id=component_id)
            .filter(Q(status=SignalStatus.FIRING) | Q(last_received_at__gte=now - HISTORY))
            .values_list(*_FIELDS)
        )
        by_source = Source.objects.in_bulk({row[1] for row in rows})
        # A source deleted between the two reads takes its signals with it: skip them.
        rows = [row for row in rows if row[1] in by_source]
        policies = {pk: policy(source) for pk, source in by_source.items()}
        views = [(row, _view(row, policies)) for row in rows]
        flips: dict[bool, list[int]] = {True: [], False: []}
        for row, view in views:
            flapping = hysteresis.is_flapping(view, now=now)
            if flapping != row[-1]:
                flips[flapping].append(row[0])
        for flapping, ids in flips.items():
            if ids:
                Signal.objects.filter(pk__in=ids).update(flapping=flapping)
        if windows.components_in_window(now=now, component_ids=[component_id]):
            # Held while the window runs: nothing proposed, opened or set. What is still
            # firing when it ends is acted on then (components_evaluate).
            return state.status
        target = hysteresis.component_target([v for _, v in views], current=state.status, now=now)
        if target == state.status:
            return state.status
        state.status = target
        state.changed_at = now
        state.save()  # before acting: resolution proposals read every component's state
        component = Component.objects.get(pk=component_id)
        if target == ComponentStatus.OPERATIONAL:
            _recovered(state, component, list(by_source.values()), now=now)
        else:
            raising = {
                row[1]
                for row, v in views
                if hysteresis.effect(v, now=now) is hysteresis.Effect.RAISE
            }
            _raised(state, component, [by_source[pk] for pk in sorted(raising)], now=now)
        state.save()
        return state.status


def _raised(
    state: ComponentSignalState, component: Component, sources: list[Source], *, now: datetime
) -> None:
    status = state.status
    setter = next((s for s in sources if s.can_set_status), None)
    if setter is not None:
        lifecycle.component_status_set(
            actor=source_actor(setter), component=component, status=status, now=now
        )
        state.status_set = status
    covered = IncidentComponent.objects.filter(
        component=component, incident__resolved_at__isnull=True
    ).exists()
    if covered:
        return
    opener = next((s for s in sources if s.can_open), None)
    if opener is not None:
        try:
            with transaction.atomic():
                _open(opener, component, status, now=now)
            return
        except ValidationError as refusal:
            # Lifecycle refused (e.g. the wording policy): a responder decides instead.
            log.warning("source %s could not open an incident: %s", opener.name, refusal)
            _propose(opener, component, status, now=now)
            return
    proposer = next((s for s in sources if s.can_propose), None)
    if proposer is not None:
        _propose(proposer, component, status, now=now)


def _open(source: Source, component: Component, status: str, *, now: datetime) -> None:
    names = [component.name]
    impact = suggested_impact([status])
    body = wording.investigating_text(names, now, impact=impact)
    incident = lifecycle.incident_open(
        actor=source_actor(source),
        name=wording.incident_name(names, now),
        body=body,
        impact=impact,
        components={component: ComponentStatus(status)},
        now=now,
    )
    # Recorded as an accepted proposal: recovery then proposes resolving it.
    Proposal.objects.create(
        kind=ProposalKind.OPEN,
        state=ProposalState.ACCEPTED,
        source=source,
        name=incident.name,
        body=body,
        impact=incident.impact,
        components={component.public_id: status},
        incident=incident,
        created_at=now,
        updated_at=now,
        decided_at=now,
        decided_by=source_actor(source).label,
    )


def _pending_open(source: Source, *, now: datetime) -> tuple[Proposal, bool]:
    """The one pending proposal to open an incident, locked; created if there is none."""
    found = Proposal.objects.select_for_update().filter(
        kind=ProposalKind.OPEN, state=ProposalState.PENDING
    )
    if (existing := found.first()) is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Proposal.objects.create(
                kind=ProposalKind.OPEN,
                source=source,
                name="",
                body="",
                impact=IncidentImpact.MINOR,
                created_at=now,
                updated_at=now,
            ), True
    except IntegrityError:  # another evaluation created it and committed meanwhile
        return found.get(), False


def _propose(source: Source, component: Component, status: str, *, now: datetime) -> None:
    proposal, created = _pending_open(source, now=now)
    proposal.components = {**proposal.components, component.public_id: status}
    _redraft(proposal, now=now)
    if created:
        audit_record(
            actor=source_actor(source),
            action=AuditAction.PROPOSAL_MADE,
            target=proposal,
            summary=f"Proposed {proposal.name!r}",
            at=now,
            data={"components": proposal.components},
        )


def _redraft(proposal: Proposal, *, now: datetime) -> None:
    names = list(
        Component.objects.filter(public_id__in=proposal.components).values_list("name", flat=True)
    )
    proposal.name = wording.incident_name(names, now)
    proposal.impact = suggested_impact(list(proposal.components.values()))
    proposal.body = wording.investigating_text(names, now, impact=proposal.impact)
    proposal.updated_at = now
    proposal.save()


def _recovered(
    state: ComponentSignalState, component: Component, sources: list[Source], *, now: datetime
) -> None:
    setter = next((s for s in sources if s.can_set_status), None)
    if state.status_set and setter is not None:
        component.refresh_from_db()
        # Only undo what ingest set: a status staff chose since then stays.
        if component.manual_status == state.status_set:
            lifecycle.component_status_set(
                actor=source_actor(setter),
                component=component,
                status=ComponentStatus.OPERATIONAL,
                now=now,
            )
        state.status_set = ""
    pending = (
        Proposal.objects.select_for_update()
        .filter(kind=ProposalKind.OPEN, state=ProposalState.PENDING)
        .first()
    )
    if pending is not None and component.public_id in pending.components:
        pending.components = {
            k: v for k, v in pending.components.items() if k != component.public_id
        }
        if pending.components:
            _redraft(pending, now=now)
        else:
            pending.state = ProposalState.WITHDRAWN
            pending.decided_at = now
            pending.decided_by = "signals recovered"
            pending.save()
    _propose_resolutions(component, now=now)


def _propose_resolutions(component: Component, *, now: datetime) -> None:
    """For each open incident that signals opened or proposed and that covers this
    component: once every one of its components has recovered, propose resolving it."""
    opened = Proposal.objects.filter(
        kind=ProposalKind.OPEN,
        state=ProposalState.ACCEPTED,
        incident__resolved_at__isnull=True,
        incident__affected__component=component,
    ).select_related("incident", "source")
    for origin in opened:
        incident = origin.incident
        assert incident is not None
        component_ids = list(incident.affected.values_list("component_id", flat=True))
        still = ComponentSignalState.objects.filter(component_id__in=component_ids).exclude(
            status=ComponentStatus.OPERATIONAL
        )
        if still.exists():
            continue
        names = list(Component.objects.filter(pk__in=component_ids).values_list("name", flat=True))
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    kind=ProposalKind.RESOLVE,
                    source=origin.source,
                    name=f"Resolve {incident.name}"[:200],
                    body=wording.resolved_text(names, now),
                    impact=incident.impact,
                    incident=incident,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            continue  # already proposed
        actor = source_actor(origin.source) if origin.source else Actor.system("ingest")
        audit_record(
            actor=actor,
            action=AuditAction.PROPOSAL_MADE,
            target=proposal,
            summary=f"Proposed resolving {incident.name!r}",
            at=now,
            data={"incident": incident.public_id},
        )


# -- responders' decisions ---------------------------------------------------------------


class ProposalDecided(ValidationError):
    """Someone decided the proposal first (or its cause recovered): that decision stands.
    The staff API answers 409."""


def _locked_pending(proposal: Proposal) -> Proposal:
    """The proposal, locked, if nobody has decided it yet (a second click finds it decided)."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state != ProposalState.PENDING:
        raise ProposalDecided({"state": [f"This proposal is {proposal.get_state_display()}."]})
    return proposal


def proposal_accept(*, actor: Actor, proposal: Proposal, now: datetime | None = None) -> Proposal:
    """Publish a proposal as the responder: open its incident, or resolve it."""
    now = now or timezone.now()
    with transaction.atomic():
        proposal = _locked_pending(proposal)
        if proposal.kind == ProposalKind.IMPACT:
            return impact_proposals.impact_publish(actor=actor, proposal=proposal, now=now)
        if proposal.kind == ProposalKind.OPEN:
            # Words as of now: the promise of a first update counts from the publishing.
            _redraft(proposal, now=now)
            by_id = Component.objects.in_bulk(list(proposal.components), field_name="public_id")
            proposal.incident = lifecycle.incident_open(
                actor=actor,
                name=proposal.name,
                body=proposal.body,
                impact=proposal.impact,
                components={
                    by_id[k]: ComponentStatus(v)
                    for k, v in proposal.components.items()
                    if k in by_id
                },
                now=now,
            )
        else:
            assert proposal.incident is not None
            lifecycle.incident_resolve(
                actor=actor, incident=proposal.incident, body=proposal.body, now=now
            )
        proposal.state = ProposalState.ACCEPTED
        proposal.decided_at = now
        proposal.decided_by = actor.label
        proposal.save()
    return proposal


def proposal_dismiss(*, actor: Actor, proposal: Proposal, now: datetime | None = None) -> Proposal:
    now = now or timezone.now()
    with transaction.atomic():
        proposal = _locked_pending(proposal)
        proposal.state = ProposalState.DISMISSED
        proposal.decided_at = now
        proposal.decided_by = actor.label
        proposal.save()
        audit_record(
            actor=actor,
            action=AuditAction.PROPOSAL_DISMISSED,
            target=proposal,
            summary=f"Dismissed {proposal.name!r}",
            at=now,
        )
    return proposal
