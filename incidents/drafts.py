"""The prefilled update a reminder carries: one function, so its source can change.

`draft_update` is the only place reminders and the console get a draft from. Its texts are
built-in defaults per phase, each ending with when the next update will come and where to
follow the incident; approved templates per phase can replace them here alone.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from incidents import cadence
from incidents.models import Incident, IncidentStatus
from incidents.reminders.plan import schedule_for

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


def draft_update(incident: Incident, *, phase: str, now: datetime) -> str:
    """A ready-to-post update for `incident` in `phase` (an IncidentStatus value), as if
    posted at `now`: it promises the next update when the cadence would, once posted."""
    text = PHASE_TEXTS[IncidentStatus(phase)].format(name=incident.name)
    if phase != IncidentStatus.RESOLVED:
        next_at = cadence.due_after_update(
            previous_due=incident.next_update_due,
            posted_at=now,
            follow_ups=incident.updates.count(),
            schedule=schedule_for(incident),
        )
        text += f" We will post the next update by {next_at:%H:%M} UTC."
    return f"{text}\n\nFollow this incident at {status_url(incident)}"
