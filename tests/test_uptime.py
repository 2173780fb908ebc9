from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.models import ComponentStatus
from incidents.uptime import (
    daily_uptime,
    daily_uptime_after,
    daily_uptime_reusing,
    merged,
    past_days_forget,
    past_days_keep,
    past_days_kept,
    uptime_both_ways,
    window_uptime,
)

DAY = date(2026, 11, 1)
MIDNIGHT = datetime(2026, 11, 1, tzinfo=UTC)


def _at(hours: float, day: int = 0) -> datetime:
    return MIDNIGHT + timedelta(days=day, hours=hours)


def test_a_six_hour_major_outage_is_a_quarter_of_the_day_down() -> None:
    days = daily_uptime(
        changes=[(_at(6), "major_outage"), (_at(12), "operational")],
        status_before="operational",
        first_day=DAY,
        days=1,
        now=_at(0, day=2),
    )
    assert days[0].uptime == 0.75
    assert days[0].worst == ComponentStatus.MAJOR_OUTAGE
    assert days[0].seconds_by_status == (("major_outage", 6 * 3600),)


def test_partial_outage_counts_thirty_percent_and_degraded_counts_as_up() -> None:
    days = daily_uptime(
        changes=[
            (_at(0), "partial_outage"),
            (_at(10), "degraded_performance"),
            (_at(20), "operational"),
        ],
        status_before="operational",
        first_day=DAY,
        days=1,
        now=_at(0, day=2),
    )
    assert abs(days[0].uptime - (1 - 10 / 24 * 0.3)) < 1e-9
    assert days[0].worst == ComponentStatus.PARTIAL_OUTAGE


def test_an_outage_across_midnight_is_split_between_days() -> None:
    days = daily_uptime(
        changes=[(_at(18), "major_outage"), (_at(6, day=1), "operational")],
        status_before="operational",
        first_day=DAY,
        days=2,
        now=_at(0, day=3),
    )
    assert [d.uptime for d in days] == [0.75, 0.75]


def test_days_before_the_component_existed_have_no_data() -> None:
    days = daily_uptime(
        changes=[(_at(12, day=1), "operational")],
        status_before=None,
        first_day=DAY,
        days=3,
        now=_at(12, day=2),
    )
    assert [d.has_data for d in days] == [False, True, True]
    # Today counts only up to now: half a day observed, all of it up.
    assert days[2].observed_seconds == 12 * 3600


def test_window_uptime_weights_days_by_observed_time() -> None:
    days = daily_uptime(
        changes=[(_at(12), "operational"), (_at(0, day=1), "major_outage")],
        status_before=None,
        first_day=DAY,
        days=2,
        now=_at(6, day=1),
    )
    # 12 h up on day one, 6 h down on day two: 12 / 18.
    assert abs(window_uptime(days) - 12 / 18) < 1e-9  # type: ignore[operator]
    assert window_uptime(days[:0]) is None


statuses = st.sampled_from([s.value for s in ComponentStatus])


@given(
    st.lists(st.tuples(st.integers(0, 10 * 24 * 60 - 1), statuses), max_size=40),
    st.one_of(st.none(), statuses),
)
def test_uptime_is_a_fraction_and_time_is_conserved(
    raw: list[tuple[int, str]], before: str | None
) -> None:
    changes = sorted((MIDNIGHT + timedelta(minutes=m), s) for m, s in raw)
    now = _at(0, day=10)
    days = daily_uptime(changes=changes, status_before=before, first_day=DAY, days=10, now=now)
    assert len(days) == 10
    for day in days:
        assert 0.0 <= day.uptime <= 1.0
        assert 0 <= day.observed_seconds <= 86400
        assert sum(seconds for _, seconds in day.seconds_by_status) <= day.observed_seconds + 1
    if before is not None:
        assert all(d.observed_seconds == 86400 for d in days)


# -- with and without announced maintenance (hand-worked) -------------------------------

H = timedelta(hours=1)
D0 = datetime(2026, 11, 1, tzinfo=UTC)


def _both(statuses: list[tuple[int, int, str]], windows: list[tuple[int, int]], hours: int = 10):  # type: ignore[no-untyped-def]
    """Hours from D0 in, figures out."""
    return uptime_both_ways(
        statuses=[(D0 + a * H, D0 + b * H, s) for a, b, s in statuses],
        maintenance=[(D0 + a * H, D0 + b * H) for a, b in windows],
        start=D0,
        end=D0 + hours * H,
    )


def test_an_outage_outside_maintenance_counts_both_ways() -> None:
    # 10 h: 1 h major outage, 2 h under maintenance, the rest operational.
    # With: 1 h down of 10 = 90%. Without: the 2 h leave; 1 h down of 8 = 87.5%.
    got = _both(
        [(0, 3, "operational"), (3, 4, "major_outage"), (4, 6, "under_maintenance"),
         (6, 10, "operational")],
        [(4, 6)],
    )  # fmt: skip
    assert got.with_maintenance == pytest.approx(0.9)
    assert got.without_maintenance == pytest.approx(0.875)
    assert (got.observed_seconds, got.maintenance_seconds) == (36000, 7200)


def test_an_outage_during_maintenance_counts_only_with_it() -> None:
    # 1 h partial outage (30%) inside a 2 h window: with = 1 - 0.3/10 = 97%; without = 100%.
    got = _both(
        [(0, 4, "operational"), (4, 5, "partial_outage"), (5, 6, "under_maintenance"),
         (6, 10, "operational")],
        [(4, 6)],
    )  # fmt: skip
    assert got.with_maintenance == pytest.approx(0.97)
    assert got.without_maintenance == pytest.approx(1.0)


def test_overlapping_windows_are_counted_once_and_clipped_to_the_period() -> None:
    # Windows 8-11 and 9-10 over a 10 h period: 2 h of maintenance (8-10), not 4.
    # A major outage 7-9: with = 1 - 2/10 = 80%; without = 1 - 1/8 = 87.5%.
    got = _both([(0, 7, "operational"), (7, 9, "major_outage"), (9, 10, "operational")],
                [(8, 11), (9, 10)])  # fmt: skip
    assert got.maintenance_seconds == 7200
    assert got.with_maintenance == pytest.approx(0.8)
    assert got.without_maintenance == pytest.approx(0.875)


def test_a_period_all_maintenance_has_no_figure_without_it() -> None:
    got = _both([(0, 10, "under_maintenance")], [(0, 10)])
    assert got.with_maintenance == pytest.approx(1.0)
    assert got.without_maintenance is None


def test_merged_joins_touching_and_overlapping_intervals() -> None:
    a, b, c, d = (D0 + n * H for n in (0, 1, 2, 3))
    assert merged([(c, d), (a, b), (b, c), (d, d)]) == [(a, d)]


@given(
    st.lists(st.tuples(st.integers(0, 10 * 24 * 60 - 1), statuses), max_size=40),
    st.one_of(st.none(), statuses),
    st.integers(1, 10 * 24 * 60 - 1),
    st.integers(1, 12),
)
def test_reused_past_days_equal_computing_every_day(
    raw: list[tuple[int, str]], before: str | None, now_minute: int, window: int
) -> None:
    """The cached days before today are what computing the whole window gives, including
    after a change backdated into them (a different history, so a different entry)."""
    now = MIDNIGHT + timedelta(minutes=now_minute)
    first = (now - timedelta(days=window - 1)).date()
    changes = sorted((MIDNIGHT + timedelta(minutes=m), s) for m, s in raw)
    changes = [(at, s) for at, s in changes if at <= now]
    for history in (changes, sorted([*changes, (MIDNIGHT, "major_outage")])):
        whole = daily_uptime(
            changes=history, status_before=before, first_day=first, days=window, now=now
        )
        reused = daily_uptime_reusing(
            changes=history, status_before=before, first_day=first, days=window, now=now
        )
        assert list(reused) == whole


@given(
    st.lists(st.tuples(st.integers(0, 10 * 24 * 60 - 1), statuses), max_size=40),
    st.one_of(st.none(), statuses),
    st.integers(24 * 60, 10 * 24 * 60 - 1),
    st.integers(2, 12),
)
def test_kept_past_days_and_today_equal_computing_every_day(
    raw: list[tuple[int, str]], before: str | None, now_minute: int, window: int
) -> None:
    """The days kept by key plus today computed from today's changes alone are what
    computing the whole window from every change gives."""
    now = MIDNIGHT + timedelta(minutes=now_minute)
    today = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    first = (now - timedelta(days=window - 1)).date()
    changes = sorted((MIDNIGHT + timedelta(minutes=m), s) for m, s in raw)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    # What the page loads: the window's changes (the status before it is `before`).
    changes = [(at, s) for at, s in changes if start <= at <= now]
    whole = daily_uptime(
        changes=changes, status_before=before, first_day=first, days=window, now=now
    )
    past_days_forget()
    kept = past_days_keep(
        ("k", window, now_minute),
        changes=[(at, s) for at, s in changes if at < today],
        status_before=before,
        first_day=first,
        days=(now.date() - first).days,
    )
    assert past_days_kept(("k", window, now_minute)) == kept
    after = daily_uptime_after(
        kept, today=[(at, s) for at, s in changes if at >= today], days=window, now=now
    )
    assert list(after) == whole
