"""The report as the public pages show it: figures per period, overall and per component."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min

from incidents.audiences.viewer import current_viewer
from incidents.audiences.visibility import incidents_visible
from incidents.models import ComponentStatusChange, Incident
from incidents.reliability.figures import Figures, combined, period_figures
from incidents.reliability.periods import Period, periods_between
from incidents.reliability.rows import ComponentRef, Rows, components_in_order, rows_load
from incidents.reliability.visibility import Visibility
from incidents.uptime import UptimeBothWays, uptime_both_ways

# How far back the report goes: two years of months, and their quarters.
REPORT_MONTHS = 24


@dataclass(frozen=True)
class PeriodReport:
    period: Period
    overall: Figures
    components: tuple[tuple[ComponentRef, Figures], ...]


@dataclass(frozen=True)
class ComponentReport:
    component: ComponentRef
    periods: tuple[tuple[Period, Figures], ...]  # newest months, then newest quarters


def report_periods(*, now: datetime) -> list[Period]:
    """The periods the report has pages for: from the oldest stored fact, up to now."""
    oldest = [
        incidents_visible(Incident.objects.all(), current_viewer()).aggregate(at=Min("started_at"))[
            "at"
        ],
        ComponentStatusChange.objects.aggregate(at=Min("at"))["at"],
    ]
    known = [at for at in oldest if at is not None]
    return periods_between(min(known) if known else now, now, months=REPORT_MONTHS)


def _figures(rows: Rows, period: Period, now: datetime, scope: ComponentRef | None) -> Figures:
    incidents = [
        i
        for i in rows.incidents
        if scope is None or scope.pk in rows.touched.get(i.public_id, frozenset())
    ]
    end = min(period.end, now)
    if scope is None:
        uptime = combined([_uptime(rows, pk, period.start, end) for pk in rows.statuses])
    else:
        uptime = _uptime(rows, scope.pk, period.start, end)
    return period_figures(start=period.start, end=end, now=now, uptime=uptime, incidents=incidents)


def _uptime(rows: Rows, pk: int, start: datetime, end: datetime) -> UptimeBothWays | None:
    if end <= start or pk not in rows.statuses:
        return None
    result = uptime_both_ways(
        statuses=rows.statuses[pk], maintenance=rows.maintenance.get(pk, []), start=start, end=end
    )
    return result if result.with_maintenance is not None else None


def period_report(period: Period, *, visibility: Visibility, now: datetime) -> PeriodReport:
    components = components_in_order(visibility.hidden)
    rows = rows_load(components, start=period.start, end=period.end, now=now)
    return PeriodReport(
        period=period,
        overall=_figures(rows, period, now, None),
        components=tuple((c, _figures(rows, period, now, c)) for c in components),
    )


def component_report(
    public_id: str, *, visibility: Visibility, periods: list[Period], now: datetime
) -> ComponentReport | None:
    """Every period's figures for one shown component; None if it is not shown."""
    found = [c for c in components_in_order(visibility.hidden) if c.public_id == public_id]
    if not found or not periods:
        return None
    component = found[0]
    rows = rows_load(
        [component],
        start=min(p.start for p in periods),
        end=max(p.end for p in periods),
        now=now,
    )
    return ComponentReport(
        component=component,
        periods=tuple((p, _figures(rows, p, now, component)) for p in periods),
    )
