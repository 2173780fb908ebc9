"""What an incident or a proposal was caused by: internal, never on the public pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents.models import ComponentStatus, ImpactCause, Incident, Proposal


@dataclass(frozen=True)
class Cause:
    public_id: str
    name: str
    status: str  # the cause's status when it was recorded

    @property
    def status_label(self) -> str:
        return str(ComponentStatus(self.status).label)


def causes_carry(*, proposal: Proposal, incident: Incident, now: datetime) -> None:
    """The incident a proposal opened (or grew) inherits the proposal's causes."""
    have = set(ImpactCause.objects.filter(incident=incident).values_list("component_id", flat=True))
    ImpactCause.objects.bulk_create(
        ImpactCause(incident=incident, component_id=c.component_id, status=c.status, at=now)
        for c in ImpactCause.objects.filter(proposal=proposal)
        if c.component_id not in have
    )


def _views(rows: list[ImpactCause]) -> list[Cause]:
    return [Cause(r.component.public_id, r.component.name, r.status) for r in rows]


def incident_causes(incident: Incident) -> list[Cause]:
    return _views(list(ImpactCause.objects.filter(incident=incident).select_related("component")))


def proposal_causes(proposal: Proposal) -> list[Cause]:
    return _views(list(ImpactCause.objects.filter(proposal=proposal).select_related("component")))
