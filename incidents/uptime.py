"""Daily uptime from a component's status history: a pure function, no database.

Weighting follows Atlassian Statuspage so figures compare with what customers have seen
elsewhere: a major outage counts fully as downtime, a partial outage counts 30%,
degraded performance and maintenance count as up.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from incidents.models.components import ComponentStatus

DOWNTIME_WEIGHT = {
    ComponentStatus.MAJOR_OUTAGE: 1.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
}


@dataclass(frozen=True)
class DayUptime:
    day: date
    has_data: bool  # False before the component existed, or after `now`
    uptime: float  # 0.0 .. 1.0 of the observed part of the day
    observed_seconds: int
    worst: ComponentStatus
    seconds_by_status: tuple[tuple[str, int], ...]  # non-operational time, worst first


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# The day loop runs 90 times per component per render (200 components on a big page):
# it works in whole microseconds and looks statuses up by their string, instead of
# datetime arithmetic and an enum built per interval.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DAY = 86_400_000_000
_WEIGHT = {str(status): weight for status, weight in DOWNTIME_WEIGHT.items()}
_SEVERITY = {str(status): status.severity for status in ComponentStatus}
_OPERATIONAL = str(ComponentStatus.OPERATIONAL)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def daily_uptime(
    *,
    changes: Sequence[tuple[datetime, str]],
    status_before: str | None,
    first_day: date,
    days: int,
    now: datetime,
) -> list[DayUptime]:
    """Uptime of each of `days` days from `first_day`, oldest first.

    `changes` are (at, new_status) in time order, from `first_day` on; `status_before` is
    the status in force when `first_day` began, or None if the component did not exist yet.
    """
    window_start = _micros(_day_start(first_day))
    until = _micros(now)
    # Intervals of constant status: (start, end, status), in microseconds.
    points: list[tuple[int, str | None]] = [(window_start, status_before)]
    points.extend((max(_micros(at), window_start), status) for at, status in changes)
    intervals: list[tuple[int, int, str]] = []
    for index, (start, status) in enumerate(points):
        end = points[index + 1][0] if index + 1 < len(points) else until
        if status is not None and end > start:
            intervals.append((start, min(end, until), str(status)))

    result = []
    cursor = 0
    for offset in range(days):
        begin = window_start + offset * _DAY
        finish = begin + _DAY
        observed = 0
        downtime = 0.0
        by_status: dict[str, int] = {}
        worst, worst_rank = _OPERATIONAL, -1
        # Intervals are ordered; skip those that ended before this day.
        while cursor < len(intervals) and intervals[cursor][1] <= begin:
            cursor += 1
        index = cursor
        while index < len(intervals) and intervals[index][0] < finish:
            start, end, status = intervals[index]
            overlap = min(end, finish) - max(start, begin)
            if overlap > 0:
                observed += overlap
                rank = _SEVERITY[status]
                if rank > worst_rank:
                    worst, worst_rank = status, rank
                downtime += overlap / 1e6 * _WEIGHT.get(status, 0.0)
                if status != _OPERATIONAL:
                    by_status[status] = by_status.get(status, 0) + overlap
            index += 1
        ordered = sorted(by_status.items(), key=lambda kv: -_SEVERITY[kv[0]])
        seconds = observed / 1e6
        result.append(
            DayUptime(
                day=first_day + timedelta(days=offset),
                has_data=observed > 0,
                uptime=1.0 - downtime / seconds if observed else 1.0,
                observed_seconds=round(seconds),
                worst=ComponentStatus(worst),
                seconds_by_status=tuple((s, round(v / 1e6)) for s, v in ordered),
            )
        )
    return result


def daily_uptime_reusing(
    *,
    changes: Sequence[tuple[datetime, str]],
    status_before: str | None,
    first_day: date,
    days: int,
    now: datetime,
) -> tuple[DayUptime, ...]:
    """daily_uptime, with the days before today reused from an earlier call that saw the
    same history before today (this process keeps the last PAST_DAYS_KEPT of them).

    A past day depends only on the status when the window began and the changes before
    today; a change backdated into the past is a different history, so a different entry.
    Only today is computed on every publish and every render of the page.
    """
    today = now.astimezone(UTC).date()
    past = (today - first_day).days
    if not 0 < past < days:
        return tuple(
            daily_uptime(
                changes=changes, status_before=status_before, first_day=first_day, days=days,
                now=now,
            )
        )  # fmt: skip
    today_start = _day_start(today)
    before = tuple((at, str(status)) for at, status in changes if at < today_start)
    since = [(at, status) for at, status in changes if at >= today_start]
    status_today = before[-1][1] if before else status_before
    return _past_days(before, status_before, first_day, past) + tuple(
        daily_uptime(
            changes=since, status_before=status_today, first_day=today, days=days - past,
            now=now,
        )
    )  # fmt: skip


# About 18 KB each (90 days): a page of 200 components twice over, in under 10 MB.
PAST_DAYS_KEPT = 512


@functools.lru_cache(maxsize=PAST_DAYS_KEPT)
def _past_days(
    changes: tuple[tuple[datetime, str], ...], status_before: str | None, first_day: date, days: int
) -> tuple[DayUptime, ...]:
    # Computed up to the end of the last of them: what happens after cannot change them.
    end = _day_start(first_day + timedelta(days=days))
    return tuple(
        daily_uptime(
            changes=changes, status_before=status_before, first_day=first_day, days=days, now=end
        )
    )


# -- past days kept by a cheap key, so a render need not load the history at all ------


@dataclass(frozen=True)
class PastDays:
    days: tuple[DayUptime, ...]  # the days before today
    status_at_end: str | None  # the status when today began


_kept: OrderedDict[Hashable, PastDays] = OrderedDict()
_kept_lock = threading.Lock()


def past_days_kept(key: Hashable) -> PastDays | None:
    """The past days computed for `key` earlier in this process (see past_days_keep).

    The caller's key must change whenever the history before today can have changed: the
    public page keys it by the component, the status when the window began, the window,
    and the count, newest id and newest time of the changes before today (selectors.py);
    changes are only ever added, each with a new, higher id.
    """
    with _kept_lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
        return found


def past_days_keep(
    key: Hashable,
    *,
    changes: Sequence[tuple[datetime, str]],
    status_before: str | None,
    first_day: date,
    days: int,
) -> PastDays:
    """Compute the `days` days from `first_day` (all before today) from the changes before
    today, and keep them under `key` (the last PAST_DAYS_KEPT keys are kept)."""
    end = _day_start(first_day + timedelta(days=days))
    computed = PastDays(
        days=tuple(
            daily_uptime(
                changes=changes, status_before=status_before, first_day=first_day, days=days,
                now=end,
            )
        ),
        status_at_end=str(changes[-1][1]) if changes else status_before,
    )  # fmt: skip
    with _kept_lock:
        _kept[key] = computed
        while len(_kept) > PAST_DAYS_KEPT:
            _kept.popitem(last=False)
    return computed


def past_days_forget() -> None:
    """Drop every kept entry (tests: a new database may reuse ids)."""
    with _kept_lock:
        _kept.clear()


def daily_uptime_after(
    past: PastDays, *, today: Sequence[tuple[datetime, str]], days: int, now: datetime
) -> tuple[DayUptime, ...]:
    """The `days`-day window ending today: the kept past days, and today from its own
    changes (`today`, those since today began)."""
    first_today = now.astimezone(UTC).date()
    return past.days + tuple(
        daily_uptime(
            changes=today, status_before=past.status_at_end, first_day=first_today,
            days=days - len(past.days), now=now,
        )
    )  # fmt: skip


def window_uptime(days: Sequence[DayUptime]) -> float | None:
    """Uptime over the whole observed time of `days` (None when nothing was observed)."""
    observed = sum(d.observed_seconds for d in days)
    if not observed:
        return None
    downtime = sum((1.0 - d.uptime) * d.observed_seconds for d in days)
    return 1.0 - downtime / observed


# -- with and without announced maintenance ---------------------------------------------

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class UptimeBothWays:
    """Uptime over a period counted two ways.

    `with_maintenance`: every second counts, as the public bars do (maintenance is up
    time; an outage during a window is downtime). `without_maintenance`: announced
    maintenance windows are taken out of the period altogether, so neither the work nor
    anything that broke during it counts (None when maintenance covered the whole period).
    """

    with_maintenance: float | None
    without_maintenance: float | None
    observed_seconds: int
    maintenance_seconds: int


def merged(intervals: Sequence[Interval]) -> list[Interval]:
    """Sorted, overlapping or touching intervals joined, empty ones dropped."""
    result: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def _inside(start: datetime, end: datetime, windows: Sequence[Interval]) -> float:
    """Seconds of [start, end) inside the (merged) windows."""
    return sum(
        max(0.0, (min(end, w_end) - max(start, w_start)).total_seconds())
        for w_start, w_end in windows
    )


def uptime_both_ways(
    *,
    statuses: Sequence[tuple[datetime, datetime, str]],
    maintenance: Sequence[Interval],
    start: datetime,
    end: datetime,
) -> UptimeBothWays:
    """Uptime of [start, end) from intervals of constant status (start, end, status),
    with and without the component's maintenance windows (started_at to completed_at).
    Statuses are weighted as on the page (DOWNTIME_WEIGHT)."""
    windows = merged([(max(s, start), min(e, end)) for s, e in maintenance])
    observed = down = observed_outside = down_outside = 0.0
    for s, e, status in statuses:
        s, e = max(s, start), min(e, end)
        if e <= s:
            continue
        seconds = (e - s).total_seconds()
        outside = seconds - _inside(s, e, windows)
        weight = DOWNTIME_WEIGHT.get(ComponentStatus(status), 0.0)
        observed += seconds
        down += seconds * weight
        observed_outside += outside
        down_outside += outside * weight
    return UptimeBothWays(
        with_maintenance=1.0 - down / observed if observed else None,
        without_maintenance=1.0 - down_outside / observed_outside if observed_outside else None,
        observed_seconds=round(observed),
        maintenance_seconds=round(observed - observed_outside),
    )
