"""When the next public update is due, as pure functions over stored timestamps.

The default promise: a first update 15 minutes after an incident opens, the next 60
minutes after that, then every 120 minutes until it is resolved. Each impact may have its
own schedule (CadencePolicy, edited in the console) and each incident its own override.
Nothing here reads the clock or the database: lifecycle passes what is stored, the beat
sweep acts on what these functions say is due, and tests can check them for any moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents.models.cadence import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES


@dataclass(frozen=True)
class Schedule:
    """Minutes to the first follow-up update, to the second, and between every later one."""

    first: int
    then: int
    every: int

    def as_minutes(self) -> dict[str, int]:
        """As the forms and the API name the fields."""
        return {"first_minutes": self.first, "then_minutes": self.then, "every_minutes": self.every}

    def after(self, follow_ups: int) -> timedelta:
        """The interval that starts once `follow_ups` updates followed the opening one."""
        minutes = self.first if follow_ups == 0 else self.then if follow_ups == 1 else self.every
        return timedelta(minutes=minutes)


DEFAULT_SCHEDULE = Schedule(first=15, then=60, every=120)
SCHEDULE_FIELDS = {"first": "first_minutes", "then": "then_minutes", "every": "every_minutes"}


def schedule_problems(first: object, then: object, every: object) -> dict[str, list[str]]:
    """Per-field reasons a schedule is refused, keyed as the forms and the API name them."""
    problems: dict[str, list[str]] = {}
    for name, value in (("first", first), ("then", then), ("every", every)):
        field = SCHEDULE_FIELDS[name]
        if isinstance(value, bool) or not isinstance(value, int):
            problems[field] = ["A whole number of minutes is required."]
        elif value < MIN_INTERVAL_MINUTES:
            problems[field] = [f"Must be at least {MIN_INTERVAL_MINUTES} minute (got {value})."]
        elif value > MAX_INTERVAL_MINUTES:
            problems[field] = [
                f"Must be at most {MAX_INTERVAL_MINUTES} minutes, one day (got {value})."
            ]
    return problems


def first_due(*, opened_at: datetime, schedule: Schedule) -> datetime:
    return opened_at + schedule.after(0)


def due_after_update(
    *, previous_due: datetime | None, posted_at: datetime, follow_ups: int, schedule: Schedule
) -> datetime:
    """The next due time once the `follow_ups`-th follow-up update is posted at `posted_at`.

    Posting always moves the promise forward: never earlier than what was already
    promised, and always after the update itself.
    """
    candidate = posted_at + schedule.after(follow_ups)
    return max(candidate, previous_due) if previous_due is not None else candidate


def due_from_history(
    *, opened_at: datetime, follow_up_times: Sequence[datetime], schedule: Schedule
) -> datetime:
    """The due time replayed from the opening and every follow-up since, under `schedule`:
    how an incident's promise reads after its schedule is overridden."""
    due = first_due(opened_at=opened_at, schedule=schedule)
    for count, posted_at in enumerate(follow_up_times, start=1):
        due = due_after_update(
            previous_due=due, posted_at=posted_at, follow_ups=count, schedule=schedule
        )
    return due


def reminder_send_at(*, due_at: datetime, lead: timedelta, now: datetime) -> datetime:
    """A reminder goes out `lead` before the due time, or now if that moment has passed."""
    return max(due_at - lead, now)


def escalation_send_times(*, due_at: datetime, step: timedelta, levels: int) -> list[datetime]:
    """Level 1 is told the moment an update is overdue, each next level `step` later."""
    return [due_at + step * level for level in range(levels)]


@dataclass(frozen=True)
class MaintenanceMoment:
    kind: str  # a ReminderKind value
    due_at: datetime
    send_at: datetime


def maintenance_moments(
    *, scheduled_for: datetime, scheduled_until: datetime, lead: timedelta, now: datetime
) -> list[MaintenanceMoment]:
    """Staff reminders of a window: `lead` before it starts, and when it should end.
    (Overrunning it is reminded per promise: `overrun_due`.)"""
    moments = [
        MaintenanceMoment("maintenance_start", scheduled_for, max(scheduled_for - lead, now)),
        MaintenanceMoment("maintenance_end", scheduled_until, max(scheduled_until, now)),
    ]
    return [m for m in moments if m.due_at >= now]


def overrun_due(
    *,
    scheduled_until: datetime,
    posted_since: Sequence[datetime],
    schedule: Schedule = DEFAULT_SCHEDULE,
) -> datetime:
    """The next update promised for a window running past its scheduled end.

    The incidents' cadence, as if the overrun were an incident opened at the scheduled
    end: the first update 15 minutes after it, then 60 after that update, then every
    120; `posted_since` are the updates posted after the scheduled end, in time order.
    """
    return due_from_history(
        opened_at=scheduled_until, follow_up_times=posted_since, schedule=schedule
    )


def prior_notice_due(
    *, scheduled_for: datetime, prior: timedelta | None, now: datetime
) -> datetime | None:
    """When subscribers are reminded that a window starts soon; None when no reminder
    is wanted or its moment has passed already (the announcement itself just went)."""
    if prior is None:
        return None
    due = scheduled_for - prior
    return due if due > now else None


# -- compliance -------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """One promised update: when it was due and when it came (None: still outstanding)."""

    due_at: datetime
    posted_at: datetime | None

    def lateness(self, now: datetime) -> timedelta:
        """How late it came, or is by now; zero when on time."""
        return max(timedelta(0), (self.posted_at or now) - self.due_at)

    def on_time(self, now: datetime) -> bool:
        return self.lateness(now) == timedelta(0)


@dataclass(frozen=True)
class Compliance:
    gaps: int
    on_time: int
    median_lateness: timedelta  # over late updates only; zero when none was late
    time_to_first_update: timedelta | None = None

    @property
    def share_on_time(self) -> float | None:
        return self.on_time / self.gaps if self.gaps else None


def median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(values) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def compliance(
    gaps: Iterable[Gap], *, now: datetime, opened_at: datetime | None = None
) -> Compliance:
    """Summarise gaps; an outstanding one counts once it is overdue (it is late already).

    With `opened_at` (one incident's gaps), also the time to its first follow-up update.
    """
    counted = [g for g in gaps if g.posted_at is not None or g.due_at < now]
    late = [g.lateness(now) for g in counted if not g.on_time(now)]
    posted = [g.posted_at for g in counted if g.posted_at is not None]
    return Compliance(
        gaps=len(counted),
        on_time=len(counted) - len(late),
        median_lateness=median(late) or timedelta(0),
        time_to_first_update=min(posted) - opened_at if posted and opened_at else None,
    )
