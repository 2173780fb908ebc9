"""The prefilled update a reminder carries, and the console's update form opens with.

`draft_update` is the only place reminders and the console get a draft from: the phase's
approved web template (incidents/wording/approvals.py), filled in with the incident's title,
components, start and the time the cadence would promise for the next update, so the
draft can be posted as it is. Only where no template of the phase is approved yet does it
fall back to a built-in text per phase, which lifecycle will refuse until an approver
approves it as custom text: the console says so, and offers to submit it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from incidents import cadence, wording
from incidents.models import Incident, IncidentStatus
from incidents.reminders.plan import policy_schedule, schedule_for
from incidents.wording import approvals

PHASE_TEXTS = {
    IncidentStatus.INVESTIGATING: (
        "We are still investigating {name}. We will share more as soon as we know it."
    ),
    IncidentStatus.IDENTIFIED: ("We have identified the cause of {name} and are working on a fix."),
    IncidentStatus.MONITORING: ("A fix for {name} is in place and we are monitoring the results."),
    IncidentStatus.RESOLVED: "{name} is resolved. Thank you for your patience.",
}


def status_url(incident: Incident) -> str:
    """The incident's page at the canonical public address."""
    return settings.CANDOR_CANONICAL_URL + reverse("public:incident", args=[incident.public_id])


def next_update_at(incident: Incident, *, now: datetime) -> datetime:
    """When the cadence will promise the next update once an update is posted at `now`:
    the one time every rendering of an update fills {next_update_at} with."""
    return cadence.due_after_update(
        previous_due=incident.next_update_due,
        posted_at=now,
        follow_ups=incident.updates.count(),
        schedule=schedule_for(incident),
    )


def incident_values(incident: Incident, *, phase: str, now: datetime) -> dict[str, str]:
    """The placeholder values of an update of `incident` in `phase` posted at `now`."""
    return wording.values_for(
        title=incident.name,
        component_names=[c.name for c in incident.components.all()],
        started_at=incident.started_at,
        next_update_at=None
        if phase == IncidentStatus.RESOLVED
        else next_update_at(incident, now=now),
    )


def opening_values(
    *, title: str, component_names: list[str], impact: str, now: datetime
) -> dict[str, str]:
    """The placeholder values of a new incident's first words, opened at `now`."""
    return wording.values_for(
        title=title,
        component_names=component_names,
        started_at=now,
        next_update_at=cadence.first_due(opened_at=now, schedule=policy_schedule(impact)),
    )


def draft_update(incident: Incident, *, phase: str, now: datetime) -> str:
    """A ready-to-post update for `incident` in `phase` (an IncidentStatus value), as if
    posted at `now`: it promises the next update when the cadence would, once posted."""
    values = incident_values(incident, phase=phase, now=now)
    next_at = None if phase == IncidentStatus.RESOLVED else next_update_at(incident, now=now)
    approved = approvals.template_words(wording.incident_phase(phase), values)
    if approved is not None:
        return approved
    text = PHASE_TEXTS[IncidentStatus(phase)].format(name=incident.name)
    if next_at is not None:
        text += f" We will post the next update by {next_at:%H:%M} UTC."
    return f"{text}\n\nFollow this incident at {status_url(incident)}"
