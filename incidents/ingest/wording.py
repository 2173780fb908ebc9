"""The words automation uses: the approved templates of the phase, filled in.

Lifecycle applies the wording policy and the approval rule to whatever these return, as
to any other text. Where no template of the phase is approved, a neutral built-in sentence
stands in; lifecycle refuses it, so automation proposes instead of opening (automation.py)
and a responder publishes the proposal once words for the phase are approved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from incidents import cadence
from incidents import wording as policy
from incidents.models import ComponentStatus, IncidentImpact, Phase, worst_status
from incidents.reminders.plan import policy_schedule
from incidents.wording import approvals

_IMPACT = {
    ComponentStatus.MAJOR_OUTAGE: IncidentImpact.CRITICAL,
    ComponentStatus.PARTIAL_OUTAGE: IncidentImpact.MAJOR,
    ComponentStatus.DEGRADED_PERFORMANCE: IncidentImpact.MINOR,
}


def suggested_impact(statuses: list[str]) -> str:
    """The incident impact that matches the worst of the components' statuses."""
    return _IMPACT.get(worst_status(statuses), IncidentImpact.MINOR)


def _names(components: Sequence[str]) -> str:
    names = sorted(components)
    if len(names) <= 1:
        return "".join(names) or "some services"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def incident_name(components: Sequence[str], now: datetime) -> str:
    return f"Degraded service: {_names(components)}"[:200]


def investigating_text(
    components: Sequence[str], now: datetime, *, impact: str = IncidentImpact.MINOR
) -> str:
    """The opening update of an incident opened at `now`, promising its first follow-up
    when the impact's cadence will."""
    values = policy.values_for(
        title=incident_name(components, now),
        component_names=sorted(components),
        started_at=now,
        next_update_at=cadence.first_due(opened_at=now, schedule=policy_schedule(impact)),
    )
    approved = approvals.template_words(Phase.INVESTIGATING, values)
    return approved or (
        f"We are investigating reports of problems affecting {_names(components)}. "
        "We will post an update as soon as we know more."
    )


def resolved_text(components: Sequence[str], now: datetime) -> str:
    values = policy.values_for(
        title=incident_name(components, now), component_names=sorted(components)
    )
    approved = approvals.template_words(Phase.RESOLVED, values)
    verb = "is" if len(components) == 1 else "are"
    return approved or (
        f"This incident has been resolved: {_names(components)} {verb} operating normally."
    )
