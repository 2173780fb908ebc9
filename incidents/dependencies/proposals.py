"""From an upstream component's change of status to one proposal per root cause.

`impact_propagate` runs after every commit that changed a component's stored status
(lifecycle queues it by name), whoever caused the change: a monitor signal, a vendor poll,
a responder. Under one lock, for each component it was given:

- down (degraded or worse): find its root causes (the down components at the top of the
  chains that lead to it) and the pending impact proposal that already concerns them, or
  one made within the storm window (CANDOR_IMPACT_STORM_SECONDS), or a new one. Its causes
  grow; its components are every downstream component the causes would make worse than it
  is now, with the status the propagation gives (dependencies/impact.py), and its words are
  the approved template of the phase, filled in. Where every edge on the way was marked
  auto-apply by an Admin, that impact is applied at once: an incident opened (or grown)
  through lifecycle, under the wording policy; what lifecycle refuses stays proposed.
- recovered: it is no longer a cause of any pending proposal; one left with no cause, or
  nothing to propose, is withdrawn.

A responder publishes a proposal in one click (ingest/automation.proposal_accept, the
console's proposals page), which calls `impact_publish`. The incident records its causes
(dependencies/causes.py) for the console and the staff API; the public words name only the
affected components, never the cause.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor, audit_record
from incidents.dependencies import impact
from incidents.dependencies.causes import causes_carry
from incidents.dependencies.lock import IMPACT, transaction_lock
from incidents.ingest import wording
from incidents.models import (
    AuditAction,
    Component,
    ComponentDependency,
    ComponentStatus,
    ImpactCause,
    Incident,
    IncidentStatus,
    Proposal,
    ProposalKind,
    ProposalState,
)

log = logging.getLogger(__name__)

ACTOR = Actor.system("dependencies")


def _edges() -> list[impact.Edge]:
    return [
        impact.Edge(*row)
        for row in ComponentDependency.objects.values_list(
            "upstream_id", "downstream_id", "kind", "auto_apply"
        )
    ]


def _statuses() -> dict[int, str]:
    return dict(Component.objects.values_list("pk", "status"))


def _pending() -> list[Proposal]:
    return list(
        Proposal.objects.select_for_update()
        .filter(kind=ProposalKind.IMPACT, state=ProposalState.PENDING)
        .order_by("-updated_at", "-pk")
    )


def _cause_ids(proposal: Proposal) -> set[int]:
    return set(ImpactCause.objects.filter(proposal=proposal).values_list("component_id", flat=True))


def impact_propagate(*, component_ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Propose (or withdraw) the downstream impact of these components' current statuses."""
    now = now or timezone.now()
    done: Counter[str] = Counter()
    with transaction.atomic():
        transaction_lock(IMPACT)
        edges = _edges()
        if (
            not edges
            and not Proposal.objects.filter(
                kind=ProposalKind.IMPACT, state=ProposalState.PENDING
            ).exists()
        ):
            return dict(done)  # no graph, nothing pending: the common case costs two queries
        for pk in sorted(set(component_ids)):
            statuses = _statuses()  # again each time: applying impact changes them
            if pk not in statuses:
                continue
            if impact.is_down(statuses[pk]):
                done[_worsened(pk, statuses, edges, now=now)] += 1
            else:
                done["withdrawn"] += _recovered(pk, statuses, edges, now=now)
    return dict(done)


def _find(
    candidates: set[int], pending: list[Proposal], *, storm: bool, now: datetime
) -> Proposal | None:
    """The pending proposal about these root causes, else (`storm`) the one a storm is
    growing."""
    public_ids = set(
        Component.objects.filter(pk__in=candidates).values_list("public_id", flat=True)
    )
    for proposal in pending:
        if _cause_ids(proposal) & candidates or public_ids & set(proposal.components):
            return proposal
    if not storm:
        return None
    window = timedelta(seconds=settings.CANDOR_IMPACT_STORM_SECONDS)
    return next((p for p in pending if p.updated_at >= now - window), None)


def _worsened(pk: int, statuses: dict[int, str], edges: list[impact.Edge], *, now: datetime) -> str:
    roots = impact.root_causes(pk, statuses, edges)
    # A storm gathers outages that have impact of their own, not every leaf going down.
    own = impact.downstream_impact({c: statuses[c] for c in roots | {pk}}, edges)
    storm = bool(impact.worse_than_now(own, statuses))
    proposal = _find(roots | {pk}, _pending(), storm=storm, now=now)
    causes = (_cause_ids(proposal) if proposal else set()) | roots
    # A component worse than its causes make it is a cause of its own as well.
    if pk not in causes:
        given = impact.downstream_impact({c: statuses[c] for c in causes}, edges).get(pk)
        if given is None or ComponentStatus(statuses[pk]).severity > given.severity:
            causes.add(pk)
    by_cause = {c: statuses[c] for c in causes if impact.is_down(statuses[c])}
    proposed = impact.worse_than_now(impact.downstream_impact(by_cause, edges), statuses)
    if proposal is None:
        if not proposed:
            return "no impact"
        proposal = Proposal.objects.create(
            kind=ProposalKind.IMPACT,
            name="",
            body="",
            impact=wording.suggested_impact(list(proposed.values())),
            # Publishing grows the incident already open for the same cause, if any.
            incident=_incident_of(set(by_cause)),
            created_at=now,
            updated_at=now,
        )
        outcome = "proposed"
    else:
        outcome = "grown"
    known = _cause_ids(proposal)
    ImpactCause.objects.bulk_create(
        ImpactCause(proposal=proposal, component_id=c, status=statuses[c], at=now)
        for c in sorted(by_cause.keys() - known)
    )
    auto = impact.worse_than_now(
        impact.downstream_impact(by_cause, edges, auto_only=True), statuses
    )
    if auto and _apply(proposal, auto, now=now):
        statuses = _statuses()
        outcome = "applied"
    changed = _settle(proposal, by_cause, statuses, edges, now=now)
    if outcome == "proposed" and proposal.state == ProposalState.PENDING:
        audit_record(
            actor=ACTOR,
            action=AuditAction.PROPOSAL_MADE,
            target=proposal,
            summary=f"Proposed {proposal.name!r}",
            at=now,
            data={"components": proposal.components, "causes": _cause_public_ids(proposal)},
        )
    return outcome if changed or outcome != "grown" else "unchanged"


def _incident_of(causes: set[int]) -> Incident | None:
    """The investigating incident an earlier proposal about these causes opened."""
    earlier = (
        Proposal.objects.filter(
            kind=ProposalKind.IMPACT,
            state=ProposalState.ACCEPTED,
            causes__component_id__in=causes,
            incident__status=IncidentStatus.INVESTIGATING,
        )
        .order_by("-decided_at", "-pk")
        .first()
    )
    return earlier.incident if earlier else None


def _cause_public_ids(proposal: Proposal) -> list[str]:
    return sorted(
        ImpactCause.objects.filter(proposal=proposal).values_list("component__public_id", flat=True)
    )


def _settle(
    proposal: Proposal,
    by_cause: dict[int, str],
    statuses: dict[int, str],
    edges: list[impact.Edge],
    *,
    now: datetime,
) -> bool:
    """Set what the proposal offers from its causes as they are now; close it when
    nothing is left to offer. Returns whether it changed."""
    proposed = impact.worse_than_now(impact.downstream_impact(by_cause, edges), statuses)
    by_pk = Component.objects.in_bulk(list(proposed))
    components = {by_pk[pk].public_id: status.value for pk, status in proposed.items()}
    if not components:
        if proposal.incident_id is not None:  # everything was applied automatically
            proposal.state = ProposalState.ACCEPTED
            proposal.decided_by = f"{ACTOR.label} (auto-apply)"
        else:
            proposal.state = ProposalState.WITHDRAWN
            proposal.decided_by = "nothing left to propose"
        proposal.decided_at = now
        proposal.updated_at = now
        proposal.save()
        return True
    if components == proposal.components and proposal.body:
        return False
    proposal.components = components
    _redraft(proposal, now=now)
    return True


def _redraft(proposal: Proposal, *, now: datetime) -> None:
    names = list(
        Component.objects.filter(public_id__in=proposal.components).values_list("name", flat=True)
    )
    proposal.name = wording.incident_name(names, now)
    proposal.impact = wording.suggested_impact(list(proposal.components.values()))
    proposal.body = wording.investigating_text(names, now, impact=proposal.impact)
    proposal.updated_at = now
    proposal.save()


def _apply(proposal: Proposal, auto: dict[int, ComponentStatus], *, now: datetime) -> bool:
    """Apply impact an Admin allowed without a responder; False if lifecycle refused."""
    components = {c: auto[c.pk] for c in Component.objects.filter(pk__in=list(auto))}
    try:
        with transaction.atomic():
            _incident_grow_or_open(ACTOR, proposal, components, now=now)
    except ValidationError as refusal:
        # The words are not approved (or the policy refuses them): a responder decides.
        log.warning("impact of proposal %s not applied: %s", proposal.public_id, refusal)
        return False
    return True


def _open_incident(proposal: Proposal) -> Incident | None:
    """The incident this proposal already opened, if it is still investigating."""
    if proposal.incident_id is None:
        return None
    return Incident.objects.filter(
        pk=proposal.incident_id, status=IncidentStatus.INVESTIGATING
    ).first()


def _incident_grow_or_open(
    actor: Actor,
    proposal: Proposal,
    components: dict[Component, ComponentStatus],
    *,
    now: datetime,
) -> Incident:
    incident = _open_incident(proposal)
    if incident is None:
        names = [c.name for c in components]
        impact_level = wording.suggested_impact(list(components.values()))
        incident = lifecycle.incident_open(
            actor=actor,
            name=wording.incident_name(names, now),
            body=wording.investigating_text(names, now, impact=impact_level),
            impact=impact_level,
            components=components,
            now=now,
        )
    else:
        names = sorted(
            {c.name for c in components}
            | set(incident.affected.values_list("component__name", flat=True))
        )
        lifecycle.update_post(
            actor=actor,
            incident=incident,
            body=wording.investigating_text(names, now, impact=incident.impact),
            status=IncidentStatus.INVESTIGATING,
            components=components,
            now=now,
        )
    proposal.incident = incident
    proposal.save(update_fields=["incident"])
    causes_carry(proposal=proposal, incident=incident, now=now)
    return incident


def _recovered(
    pk: int, statuses: dict[int, str], edges: list[impact.Edge], *, now: datetime
) -> int:
    withdrawn = 0
    for proposal in _pending():
        if pk not in _cause_ids(proposal):
            continue
        ImpactCause.objects.filter(proposal=proposal, component_id=pk).delete()
        by_cause = {c: statuses[c] for c in _cause_ids(proposal) if impact.is_down(statuses[c])}
        if by_cause:
            _settle(proposal, by_cause, statuses, edges, now=now)
            if proposal.state == ProposalState.PENDING:
                continue
        else:
            proposal.state = ProposalState.WITHDRAWN
            proposal.decided_at = now
            proposal.decided_by = "the cause recovered"
            proposal.save()
        if proposal.state == ProposalState.WITHDRAWN:
            withdrawn += 1
            audit_record(
                actor=ACTOR,
                action=AuditAction.PROPOSAL_WITHDRAWN,
                target=proposal,
                summary=f"Withdrew {proposal.name!r}: {proposal.decided_by}",
                at=now,
            )
    return withdrawn


def impact_publish(*, actor: Actor, proposal: Proposal, now: datetime) -> Proposal:
    """Publish a pending impact proposal as the responder (the caller holds its lock):
    open its incident, or grow the one auto-apply opened, with the words of now."""
    _redraft(proposal, now=now)  # the promise of a first update counts from publishing
    by_id = Component.objects.in_bulk(list(proposal.components), field_name="public_id")
    components = {
        by_id[k]: ComponentStatus(v) for k, v in proposal.components.items() if k in by_id
    }
    with transaction.atomic():
        _incident_grow_or_open(actor, proposal, components, now=now)
        proposal.state = ProposalState.ACCEPTED
        proposal.decided_at = now
        proposal.decided_by = actor.label
        proposal.save()
    return proposal
