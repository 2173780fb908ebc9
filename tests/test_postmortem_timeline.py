"""The generated timeline of a postmortem, against a hand-worked example."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidents.postmortem_timeline import ReminderFact, UpdateFact, timeline_markdown

pytestmark = pytest.mark.embedded  # pure: no database at all


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 10, 20, hour, minute, second, tzinfo=UTC)


def test_a_hand_worked_incident() -> None:
    # Given out of order: the timeline sorts by time.
    updates = [
        UpdateFact(at(8, 40), "resolved", (("API", "major_outage", "operational"),)),
        UpdateFact(at(7, 55), "investigating", (("API", "operational", "major_outage"),)),
        UpdateFact(at(8, 10, 30), "identified"),
        UpdateFact(at(8, 25), "identified"),
    ]
    reminders = [
        ReminderFact(at(8, 10, 5), "update_due"),  # same minute as an update: after it
        ReminderFact(at(8, 24), "escalation"),
        ReminderFact(at(8, 30), "maintenance_start"),  # not about an incident: left out
    ]

    assert timeline_markdown(updates, reminders) == (
        "- 2026-10-20 07:55 UTC: First public update: Investigating.\n"
        "- 2026-10-20 07:55 UTC: API: Operational → Major outage.\n"
        "- 2026-10-20 08:10 UTC: Status changed to Identified.\n"
        "- 2026-10-20 08:10 UTC: A reminder to post the next update went to the responders.\n"
        "- 2026-10-20 08:24 UTC: The next update was overdue; the escalation contacts were "
        "called.\n"
        "- 2026-10-20 08:25 UTC: Update posted (Identified).\n"
        "- 2026-10-20 08:40 UTC: Status changed to Resolved.\n"
        "- 2026-10-20 08:40 UTC: API: Major outage → Operational."
    )


def test_nothing_recorded_is_an_empty_timeline() -> None:
    assert timeline_markdown([], []) == ""


def test_a_status_or_component_renamed_since_still_shows_raw() -> None:
    update = UpdateFact(at(9, 0), "gone_away", (("DB", "melted", "operational"),))
    assert timeline_markdown([update], []) == (
        "- 2026-10-20 09:00 UTC: First public update: gone_away.\n"
        "- 2026-10-20 09:00 UTC: DB: melted → Operational."
    )
