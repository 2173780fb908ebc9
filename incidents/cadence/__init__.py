"""When updates are due, and whether the promises were kept.

- due.py: the cadence itself, pure functions over stored timestamps (what
  `incidents.cadence` names: `cadence.first_due(...)`, as when it was one module);
- promise.py: the next-update time the words state is the one the page keeps;
- report.py: how well promised updates were kept, per incident and overall.

The reminders that keep staff to the cadence are their own package (`incidents.reminders`:
rows, sends, SMS, acknowledgements).
"""

from incidents.cadence.due import (
    DEFAULT_SCHEDULE,
    SCHEDULE_FIELDS,
    Compliance,
    Gap,
    MaintenanceMoment,
    Schedule,
    compliance,
    due_after_update,
    due_from_history,
    escalation_send_times,
    first_due,
    maintenance_moments,
    median,
    overrun_due,
    prior_notice_due,
    reminder_send_at,
    schedule_problems,
)

__all__ = [
    "DEFAULT_SCHEDULE",
    "SCHEDULE_FIELDS",
    "Compliance",
    "Gap",
    "MaintenanceMoment",
    "Schedule",
    "compliance",
    "due_after_update",
    "due_from_history",
    "escalation_send_times",
    "first_due",
    "maintenance_moments",
    "median",
    "overrun_due",
    "prior_notice_due",
    "reminder_send_at",
    "schedule_problems",
]
