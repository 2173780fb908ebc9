"""uptime.json: each day's tooltip for every uptime bar of the status page.

A component's days are runs of identical days, [count, colour, text], the text being the
tooltip without its date; the page's script (static/candor/public.js) puts the date in
front of each day, as `expand()` does here. The document is public and cached like the
page, and published with the snapshot, so the static copy's bars expand the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from incidents.public.uptime_bars import colour
from incidents.selectors import PublicStatus, UptimeDay
from incidents.templatetags.candor_public import duration, percent, status_label, utc_day


def day_text(day: UptimeDay) -> str:
    """A day's tooltip after its date: uptime, time in each status, the incidents."""
    d = day.day
    if d.has_data:
        text = f"{percent(d.uptime)} uptime"
        for status, seconds in d.seconds_by_status:
            text += f". {status_label(status)} {duration(seconds)}"
    else:
        text = "no data"
    names = "; ".join(ref.name for ref in day.incidents) if day.incidents else "No incidents"
    return f"{text}. {names}"


def _runs(days: Sequence[UptimeDay]) -> list[list[Any]]:
    runs: list[list[Any]] = []
    for day in days:
        c, text = colour(day), day_text(day)
        if runs and runs[-1][1] == c and runs[-1][2] == text:
            runs[-1][0] += 1
        else:
            runs.append([1, c, text])
    return runs


def first_day(status: PublicStatus) -> date | None:
    for component in status.components:
        if component.uptime_days:
            return component.uptime_days[0].day.day
    return None


def uptime_document(status: PublicStatus) -> dict[str, Any]:
    """Every showcased component's days, keyed by the component's public id."""
    start = first_day(status)
    return {
        "first_day": start.isoformat() if start else None,
        "components": {
            c.public_id: _runs(c.uptime_days)
            for c in status.components
            if c.showcase and c.uptime_days
        },
    }


def expand(document: dict[str, Any], component_id: str) -> list[tuple[str, str]]:
    """(colour, tooltip) of each day of one component, as the page's script builds them."""
    day = date.fromisoformat(document["first_day"])
    result = []
    for count, c, text in document["components"][component_id]:
        for _ in range(count):
            result.append((c, f"{utc_day(day)}: {text}"))
            day += timedelta(days=1)
    return result
