"""The report as JSON, CSV and the strings the HTML shows, from figures alone.

A figure the Admin took out is absent: no key in JSON, no column in CSV, no cell on the
page. Names are stored text and may be hostile: JSON escapes them, CSV cells are made
safe for spreadsheets (csv_cells), the templates autoescape.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from incidents.csv_cells import cell_neutralise
from incidents.models import IncidentImpact
from incidents.reliability.figures import Figures
from incidents.reliability.periods import Period
from incidents.reliability.report import PeriodReport
from incidents.reliability.visibility import Visibility


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def figures_json(figures: Figures, shown: Visibility) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if shown.show_uptime:
        u = figures.uptime
        out["uptime"] = {
            "including_maintenance": _ratio(u.with_maintenance) if u else None,
            "excluding_maintenance": _ratio(u.without_maintenance) if u else None,
            "observed_seconds": u.observed_seconds if u else 0,
            "maintenance_seconds": u.maintenance_seconds if u else 0,
        }
    if shown.show_incidents:
        out["incidents"] = {"total": figures.incidents, **dict(figures.incidents_by_impact)}
    if shown.show_first_post:
        out["time_to_first_post_seconds"] = {
            "median": _seconds(figures.first_post_median),
            "p90": _seconds(figures.first_post_p90),
        }
    if shown.show_resolve:
        out["time_to_resolve_seconds"] = {
            "mean": _seconds(figures.time_to_resolve),
            "resolved": figures.resolved,
        }
    if shown.show_promises:
        out["next_update_promises"] = {"due": figures.promises, "kept": figures.promises_kept}
    return out


def period_json(report: PeriodReport, shown: Visibility, *, now: datetime) -> dict[str, Any]:
    period = report.period
    return {
        "period": _period_json(period, now),
        "overall": figures_json(report.overall, shown),
        "components": [
            {"id": c.public_id, "name": c.name, **figures_json(f, shown)}
            for c, f in report.components
        ],
    }


def _period_json(period: Period, now: datetime) -> dict[str, Any]:
    return {
        "id": period.slug,
        "kind": period.kind,
        "start": _iso(period.start),
        "end": _iso(period.end),
        "complete": period.end <= now,  # False: figures so far, up to the time of this copy
    }


def csv_columns(shown: Visibility) -> list[str]:
    columns = ["period", "component_id", "component_name"]
    if shown.show_uptime:
        columns += [
            "uptime_including_maintenance",
            "uptime_excluding_maintenance",
            "observed_seconds",
            "maintenance_seconds",
        ]
    if shown.show_incidents:
        columns += ["incidents"] + [f"incidents_{impact}" for impact in IncidentImpact.values]
    if shown.show_first_post:
        columns += ["first_post_median_seconds", "first_post_p90_seconds"]
    if shown.show_resolve:
        columns += ["time_to_resolve_mean_seconds", "resolved"]
    if shown.show_promises:
        columns += ["promises_due", "promises_kept"]
    return columns


def _csv_row(period: Period, public_id: str, name: str, figures: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "period": period.slug,
        "component_id": cell_neutralise(public_id),
        "component_name": cell_neutralise(name),
    }
    if uptime := figures.get("uptime"):
        row["uptime_including_maintenance"] = uptime["including_maintenance"]
        row["uptime_excluding_maintenance"] = uptime["excluding_maintenance"]
        row["observed_seconds"] = uptime["observed_seconds"]
        row["maintenance_seconds"] = uptime["maintenance_seconds"]
    if incidents := figures.get("incidents"):
        row["incidents"] = incidents["total"]
        row.update({f"incidents_{impact}": incidents[impact] for impact in IncidentImpact.values})
    if first := figures.get("time_to_first_post_seconds"):
        row["first_post_median_seconds"] = first["median"]
        row["first_post_p90_seconds"] = first["p90"]
    if resolve := figures.get("time_to_resolve_seconds"):
        row["time_to_resolve_mean_seconds"] = resolve["mean"]
        row["resolved"] = resolve["resolved"]
    if promises := figures.get("next_update_promises"):
        row["promises_due"] = promises["due"]
        row["promises_kept"] = promises["kept"]
    return {k: "" if v is None else v for k, v in row.items()}


def period_csv(report: PeriodReport, shown: Visibility) -> str:
    """One row for the whole page (empty component id and name), then one per component."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_columns(shown), lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(_csv_row(report.period, "", "", figures_json(report.overall, shown)))
    for component, figures in report.components:
        writer.writerow(
            _csv_row(
                report.period, component.public_id, component.name, figures_json(figures, shown)
            )
        )
    return out.getvalue()


# -- for the HTML ---------------------------------------------------------------------------


NONE = "\N{EN DASH}"  # no figure: nothing observed, nothing resolved, nothing promised


def percent(value: float | None) -> str:
    """99.028%: three decimals, truncated, so 99.9996% never shows as a perfect 100%."""
    if value is None:
        return NONE
    # The epsilon: 0.99 * 100,000 is 98,999.99999999999 in binary floating point.
    return f"{math.floor(value * 100_000 + 1e-6) / 1000:.3f}%"


def duration(value: timedelta | None) -> str:
    if value is None:
        return NONE
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True)
class Shown:
    """One row of figures as the page shows them (strings; NONE where there is no figure)."""

    uptime_with: str
    uptime_without: str
    incidents: int
    by_impact: tuple[tuple[str, int], ...]  # (label, count), mildest first
    first_median: str
    first_p90: str
    resolve: str
    resolved: int
    promises: str


def shown(figures: Figures) -> Shown:
    u = figures.uptime
    labels = {**dict(IncidentImpact.choices), IncidentImpact.NONE.value: "No impact"}
    return Shown(
        uptime_with=percent(u.with_maintenance if u else None),
        uptime_without=percent(u.without_maintenance if u else None),
        incidents=figures.incidents,
        by_impact=tuple((str(labels.get(k, k)), n) for k, n in figures.incidents_by_impact),
        first_median=duration(figures.first_post_median),
        first_p90=duration(figures.first_post_p90),
        resolve=duration(figures.time_to_resolve),
        resolved=figures.resolved,
        promises=f"{figures.promises_kept} of {figures.promises}" if figures.promises else NONE,
    )
