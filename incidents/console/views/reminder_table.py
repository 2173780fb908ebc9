"""The reminders tables: cancelled rows (one per moot reminder, so most of them) are hidden
unless asked for with ?cancelled=1; the table says how many it hides."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from incidents.models import Reminder, ReminderState


def reminder_table(
    request: HttpRequest, reminders: QuerySet[Reminder], limit: int
) -> dict[str, Any]:
    """Context for console/_reminders.html: the rows, and how many cancelled ones are hidden."""
    if request.GET.get("cancelled") == "1":
        return {"reminders": reminders[:limit], "cancelled_hidden": 0, "cancelled_shown": True}
    return {
        "reminders": reminders.exclude(state=ReminderState.CANCELLED)[:limit],
        "cancelled_hidden": reminders.filter(state=ReminderState.CANCELLED).count(),
        "cancelled_shown": False,
    }
