"""Property tests of the cadence's pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from incidents import cadence
from incidents.cadence import DEFAULT_SCHEDULE, Gap, Schedule
from incidents.models.cadence import MAX_INTERVAL_MINUTES

minutes = st.integers(min_value=1, max_value=MAX_INTERVAL_MINUTES)
schedules = st.builds(Schedule, first=minutes, then=minutes, every=minutes)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
# Gaps between consecutive updates, in seconds: from a rapid correction to two days.
gaps = st.lists(st.integers(min_value=0, max_value=2 * 86400), max_size=30)


def _replay(opened: datetime, schedule: Schedule, seconds: list[int]) -> list[datetime]:
    """Every due time an incident goes through, from opening, as lifecycle computes them."""
    due = cadence.first_due(opened_at=opened, schedule=schedule)
    dues, posted = [due], opened
    for count, gap in enumerate(seconds, start=1):
        posted += timedelta(seconds=gap)
        due = cadence.due_after_update(
            previous_due=due, posted_at=posted, follow_ups=count, schedule=schedule
        )
        dues.append(due)
    return dues


def test_the_default_is_15_then_60_then_every_120_minutes() -> None:
    opened = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    # Each update posted exactly when due.
    dues = _replay(opened, DEFAULT_SCHEDULE, [15 * 60, 60 * 60, 120 * 60])
    assert [d - opened for d in dues] == [
        timedelta(minutes=15),
        timedelta(minutes=75),
        timedelta(minutes=195),
        timedelta(minutes=315),
    ]


@given(opened=moments, schedule=schedules, seconds=gaps)
def test_due_times_never_move_backwards(
    opened: datetime, schedule: Schedule, seconds: list[int]
) -> None:
    dues = _replay(opened, schedule, seconds)
    assert dues == sorted(dues)


@given(opened=moments, schedule=schedules, seconds=gaps, extra=st.integers(0, 3 * 86400))
def test_an_update_always_pushes_the_due_time_past_itself(
    opened: datetime, schedule: Schedule, seconds: list[int], extra: int
) -> None:
    dues = _replay(opened, schedule, seconds)
    posted = opened + timedelta(seconds=sum(seconds) + extra)
    after = cadence.due_after_update(
        previous_due=dues[-1], posted_at=posted, follow_ups=len(seconds) + 1, schedule=schedule
    )
    assert after > posted
    assert after >= dues[-1]


@given(opened=moments, schedule=schedules, seconds=gaps)
def test_an_override_applies_from_the_history(
    opened: datetime, schedule: Schedule, seconds: list[int]
) -> None:
    posted, times = opened, []
    for gap in seconds:
        posted += timedelta(seconds=gap)
        times.append(posted)
    replayed = cadence.due_from_history(opened_at=opened, follow_up_times=times, schedule=schedule)
    assert replayed == _replay(opened, schedule, seconds)[-1]
    if not times:
        assert replayed == opened + timedelta(minutes=schedule.first)
    else:
        # The last interval is the override's, unless an earlier promise stood later.
        interval = schedule.then if len(times) == 1 else schedule.every
        assert replayed >= times[-1] + timedelta(minutes=interval)


@given(first=st.integers(-(10**6), 10**6), then=minutes, every=minutes)
def test_zero_negative_and_absurd_intervals_are_refused(first: int, then: int, every: int) -> None:
    problems = cadence.schedule_problems(first, then, every)
    assert bool(problems) == (not 1 <= first <= MAX_INTERVAL_MINUTES)
    if problems:
        assert list(problems) == ["first_minutes"]


def test_non_numbers_are_refused_with_a_reason() -> None:
    problems = cadence.schedule_problems("15", 1.5, True)
    assert set(problems) == {"first_minutes", "then_minutes", "every_minutes"}
    assert problems["first_minutes"] == ["A whole number of minutes is required."]


@given(due=moments, lead=st.integers(0, 3600), now_offset=st.integers(-7200, 7200))
def test_a_reminder_goes_out_the_lead_time_early_but_never_in_the_past(
    due: datetime, lead: int, now_offset: int
) -> None:
    now = due + timedelta(seconds=now_offset)
    send_at = cadence.reminder_send_at(due_at=due, lead=timedelta(seconds=lead), now=now)
    assert send_at >= now
    assert send_at == max(due - timedelta(seconds=lead), now)


@given(due=moments, levels=st.integers(0, 6))
def test_escalations_start_at_the_due_time_and_follow_each_other(
    due: datetime, levels: int
) -> None:
    times = cadence.escalation_send_times(due_at=due, step=timedelta(minutes=15), levels=levels)
    assert len(times) == levels
    assert all(t >= due for t in times)
    assert times == sorted(times)


def test_compliance_counts_outstanding_gaps_only_once_overdue() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    gaps_ = [
        Gap(due_at=t0 + timedelta(minutes=15), posted_at=t0 + timedelta(minutes=10)),
        Gap(due_at=t0 + timedelta(minutes=70), posted_at=t0 + timedelta(minutes=80)),
        Gap(due_at=t0 + timedelta(minutes=200), posted_at=None),
    ]
    early = cadence.compliance(gaps_, now=t0 + timedelta(minutes=100), opened_at=t0)
    assert (early.gaps, early.on_time, early.share_on_time) == (2, 1, 0.5)
    assert early.median_lateness == timedelta(minutes=10)
    assert early.time_to_first_update == timedelta(minutes=10)
    late = cadence.compliance(gaps_, now=t0 + timedelta(minutes=230))
    assert (late.gaps, late.on_time) == (3, 1)
    assert late.median_lateness == timedelta(minutes=20)  # median of 10 and 30
