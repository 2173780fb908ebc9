"""The uptime bars as the page draws them: one element per run of days of one colour.

One element per day with its tooltip inline made the status page grow with components
times days times incidents (577 KB at 80 components). The page now carries one element per
run of same-coloured days and a short summary for screen readers; the page's own script
(static/candor/public.js) fetches uptime.json (`uptime_details.py`) and expands each bar
into one item per day with its tooltip. Without the script the bars still show, with the
summary as their text.

Past INLINE_RUNS_LIMIT runs on one page (200 components whose every day differs: 15,000
runs, 400 KB) the runs are left out: the page keeps each bar's place, its figure and the
summary, shown as text, and the script fills the bars from uptime.json as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from incidents.models import ComponentStatus
from incidents.selectors import UptimeDay

NO_DATA = "nodata"
# Short class names for the runs' colours (public.css): 2,000 runs on a big page.
RUN_CLASS = {
    ComponentStatus.OPERATIONAL: "ok",
    ComponentStatus.UNDER_MAINTENANCE: "mt",
    ComponentStatus.DEGRADED_PERFORMANCE: "dg",
    ComponentStatus.PARTIAL_OUTAGE: "po",
    ComponentStatus.MAJOR_OUTAGE: "mo",
    NO_DATA: "nd",
}
# public.css sizes runs of up to this many days (.d2 to .d90); longer ones are split.
LONGEST_RUN = 90
NARROW_DAYS = 30  # public.css shows this many days on narrow screens
# About 70 KB of list items: 80 components over 1,000 incidents in 90 days (2,300 runs)
# stay inline.
INLINE_RUNS_LIMIT = 3000


@dataclass(frozen=True)
class Run:
    colour: str  # a component status, or NO_DATA
    days: int
    old: bool  # before the last `recent` days, which are all that narrow screens show

    @property
    def css_class(self) -> str:
        return f"{RUN_CLASS[self.colour]} d{self.days}" + (" old" if self.old else "")


def colour(day: UptimeDay) -> str:
    return str(day.day.worst) if day.day.has_data else NO_DATA


def bar_runs(days: Sequence[UptimeDay], *, recent: int) -> list[Run]:
    """Consecutive days of one colour, oldest first; no run spans both the last `recent`
    days and those before."""
    runs: list[Run] = []
    for index, day in enumerate(days):
        c, old = colour(day), index < len(days) - recent
        last = runs[-1] if runs else None
        if last and last.colour == c and last.old == old and last.days < LONGEST_RUN:
            runs[-1] = Run(c, last.days + 1, old)
        else:
            runs.append(Run(c, 1, old))
    return runs


def days_with_trouble(days: Sequence[UptimeDay]) -> int:
    """Days with anything but "operational" at some point: the summary's count."""
    return sum(1 for d in days if d.day.has_data and d.day.worst != ComponentStatus.OPERATIONAL)


def runs_fit_inline(bars: Iterable[Sequence[UptimeDay]], *, recent: int) -> bool:
    """Whether the page can carry every bar's runs as elements (INLINE_RUNS_LIMIT)."""
    total = 0
    for days in bars:
        total += len(bar_runs(days, recent=recent))
        if total > INLINE_RUNS_LIMIT:
            return False
    return True


def uptime_percent(value: float | None) -> str:
    """Uptime with two decimals, rounded down: any downtime at all never shows as 100.00%."""
    if value is None:
        return ""
    # Round to 6 places first so float noise (0.9 * 100 = 89.999...) does not lose a digit.
    exact = Decimal(str(round(value * 100, 6)))
    return f"{exact.quantize(Decimal('0.01'), rounding=ROUND_DOWN)}%"
