"""A postmortem's timeline section, generated from what the incident itself recorded: its
public updates (and the status and component changes each made) and the reminders sent
to its responders. `timeline_markdown` is pure, so a hand-worked example pins it down;
`incident_timeline` reads one incident's records and calls it.

The responder gets it as a starting point in the draft and edits it like any other words;
it goes through the wording policy and the approvals with the rest of the postmortem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from incidents.models import (
    ComponentStatus,
    Incident,
    IncidentStatus,
    Reminder,
    ReminderKind,
)
from incidents.selectors import affected_components


@dataclass(frozen=True)
class UpdateFact:
    at: datetime
    status: str
    changes: tuple[tuple[str, str, str], ...] = ()  # (component, old status, new status)


@dataclass(frozen=True)
class ReminderFact:
    at: datetime
    kind: str


_REMINDER_WORDS: dict[str, str] = {
    ReminderKind.UPDATE_DUE: "A reminder to post the next update went to the responders.",
    ReminderKind.ESCALATION: "The next update was overdue; the escalation contacts were called.",
}


def _label(choices: type[IncidentStatus] | type[ComponentStatus], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def timeline_markdown(updates: Sequence[UpdateFact], reminders: Sequence[ReminderFact]) -> str:
    """A Markdown list, oldest first, one line per thing that happened. At the same minute
    an update's own lines come before a reminder's (the reminder was about the next one)."""
    events: list[tuple[datetime, int, str]] = []
    previous: str | None = None
    for order, update in enumerate(sorted(updates, key=lambda u: u.at)):
        status = _label(IncidentStatus, update.status)
        if previous is None:
            text = f"First public update: {status}."
        elif update.status != previous:
            text = f"Status changed to {status}."
        else:
            text = f"Update posted ({status})."
        previous = update.status
        events.append((update.at, 2 * order, text))
        for name, old, new in update.changes:
            old_label, new_label = _label(ComponentStatus, old), _label(ComponentStatus, new)
            events.append((update.at, 2 * order, f"{name}: {old_label} → {new_label}."))
    for reminder in reminders:
        if reminder.kind in _REMINDER_WORDS:
            events.append((reminder.at, 2 * len(updates) + 1, _REMINDER_WORDS[reminder.kind]))
    events.sort(key=lambda event: (event[0].replace(second=0, microsecond=0), event[1]))
    return "\n".join(f"- {_when(at)}: {text}" for at, _order, text in events)


def incident_timeline(incident: Incident) -> str:
    """The timeline of one incident, from its stored updates and sent reminders."""
    updates = [
        UpdateFact(
            at=u.display_at,
            status=u.status,
            changes=tuple(
                (c["name"], c["old_status"], c["new_status"])
                for c in affected_components(u.affected_components)
            ),
        )
        for u in incident.updates.order_by("display_at", "pk")
    ]
    reminders = [
        ReminderFact(at=r.sent_at, kind=r.kind)
        for r in Reminder.objects.filter(incident=incident, sent_at__isnull=False).order_by(
            "sent_at", "pk"
        )
        if r.sent_at is not None
    ]
    return timeline_markdown(updates, reminders)
