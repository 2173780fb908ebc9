"""The report's figures for one period and one scope (a component, or the whole page):
pure functions over stored timestamps, no database.

- uptime: incidents/uptime.py's uptime_both_ways, per component; the whole page's is the
  components' together, weighted by the time each was observed (combined below);
- incidents: those that started in the period, counted by their impact;
- time to first public post: from an incident's start to its first published update,
  median and 90th percentile (nearest rank: the smallest value at or above 90% of them);
- time to resolve (MTTR): the mean of start-to-resolved over the incidents that started
  in the period and are resolved;
- promises kept: the next-update promises due in the period, judged as the cadence
  package judges them (cadence.compliance: one still outstanding counts once overdue).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents.cadence import Gap, compliance, median
from incidents.models import IncidentImpact
from incidents.uptime import UptimeBothWays


@dataclass(frozen=True)
class IncidentFacts:
    """What the report needs of one incident, as stored."""

    public_id: str
    impact: str
    started_at: datetime
    first_post_at: datetime | None  # its first published update
    resolved_at: datetime | None
    promises: tuple[Gap, ...]  # every next-update promise: due, and when answered


@dataclass(frozen=True)
class Figures:
    uptime: UptimeBothWays | None  # None: no component observed in the period
    incidents_by_impact: tuple[tuple[str, int], ...]  # every impact, mildest first
    first_post_median: timedelta | None
    first_post_p90: timedelta | None
    time_to_resolve: timedelta | None  # mean (MTTR); None: none resolved
    resolved: int
    promises: int
    promises_kept: int

    @property
    def incidents(self) -> int:
        return sum(count for _, count in self.incidents_by_impact)


def percentile(values: Sequence[timedelta], share: float) -> timedelta | None:
    """Nearest rank: the ceil(share * n)-th smallest value (None for no values)."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return sorted(values)[rank - 1]


def mean(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    return sum(values, timedelta(0)) / len(values)


def combined(parts: Sequence[UptimeBothWays | None]) -> UptimeBothWays | None:
    """Several components' uptime as one: downtime over observed time, summed over them."""
    observed = down = observed_outside = down_outside = 0.0
    maintenance = 0
    for part in parts:
        if part is None or part.with_maintenance is None:
            continue
        observed += part.observed_seconds
        down += (1.0 - part.with_maintenance) * part.observed_seconds
        outside = part.observed_seconds - part.maintenance_seconds
        if part.without_maintenance is not None:
            observed_outside += outside
            down_outside += (1.0 - part.without_maintenance) * outside
        maintenance += part.maintenance_seconds
    if not observed:
        return None
    return UptimeBothWays(
        with_maintenance=1.0 - down / observed,
        without_maintenance=1.0 - down_outside / observed_outside if observed_outside else None,
        observed_seconds=round(observed),
        maintenance_seconds=maintenance,
    )


def period_figures(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    uptime: UptimeBothWays | None,
    incidents: Sequence[IncidentFacts],
) -> Figures:
    """The figures of [start, end) from the scope's incidents (any period: those outside
    are left out here) and its uptime over the period."""
    started = [i for i in incidents if start <= i.started_at < end]
    counts = dict.fromkeys(IncidentImpact.values, 0)
    for incident in started:
        counts[incident.impact] = counts.get(incident.impact, 0) + 1
    first_posts = [
        max(timedelta(0), i.first_post_at - i.started_at)
        for i in started
        if i.first_post_at is not None
    ]
    to_resolve = [max(timedelta(0), i.resolved_at - i.started_at) for i in started if i.resolved_at]
    due = [g for i in incidents for g in i.promises if start <= g.due_at < end]
    kept = compliance(due, now=now)
    return Figures(
        uptime=uptime,
        incidents_by_impact=tuple(counts.items()),
        first_post_median=median(first_posts),
        first_post_p90=percentile(first_posts, 0.9),
        time_to_resolve=mean(to_resolve),
        resolved=len(to_resolve),
        promises=kept.gaps,
        promises_kept=kept.on_time,
    )
