"""Report periods: calendar months and quarters in UTC, named as in their URLs.

A month is "2026-11", a quarter "2026-Q4"; both are half-open [start, end) in UTC, so a
moment at midnight on the first belongs to the period that begins then, never to two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

MONTH: Final = "month"
QUARTER: Final = "quarter"
_SLUG = re.compile(r"(?P<year>[0-9]{4})-(?:(?P<month>[0-9]{2})|Q(?P<quarter>[1-4]))")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: Literal["month", "quarter"]
    number: int  # 1..12 for a month, 1..4 for a quarter

    @property
    def first_month(self) -> int:
        return self.number if self.kind == MONTH else 3 * self.number - 2

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.first_month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        months = 1 if self.kind == MONTH else 3
        year, month = divmod(self.first_month - 1 + months, 12)
        return datetime(self.year + year, month + 1, 1, tzinfo=UTC)

    @property
    def slug(self) -> str:
        if self.kind == MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        return f"{self.year:04d}-Q{self.number}"

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return self.start.strftime("%B %Y")
        return f"Q{self.number} {self.year}"

    def previous(self) -> Period:
        last = 12 if self.kind == MONTH else 4
        if self.number == 1:
            return Period(self.year - 1, self.kind, last)
        return Period(self.year, self.kind, self.number - 1)


def month_of(at: datetime) -> Period:
    at = at.astimezone(UTC)
    return Period(at.year, MONTH, at.month)


def quarter_of(at: datetime) -> Period:
    at = at.astimezone(UTC)
    return Period(at.year, QUARTER, (at.month - 1) // 3 + 1)


def parse(slug: str) -> Period | None:
    """The period a URL names, or None ("2026-13", "2026-Q5", "1969-01" are none)."""
    match = _SLUG.fullmatch(slug)
    if not match:
        return None
    year = int(match["year"])
    if year < 1970:
        return None
    if match["month"]:
        month = int(match["month"])
        return Period(year, MONTH, month) if 1 <= month <= 12 else None
    return Period(year, QUARTER, int(match["quarter"]))


def periods_between(oldest: datetime, now: datetime, *, months: int) -> list[Period]:
    """The months, then the quarters, that overlap [oldest, now], newest first, going back
    at most `months` months (and the quarters those months fall in)."""
    newest_month, newest_quarter = month_of(now), quarter_of(now)
    result: list[Period] = []
    period = newest_month
    for _ in range(months):
        if period.end <= oldest:
            break
        result.append(period)
        period = period.previous()
    floor = result[-1].start if result else newest_month.start
    period = newest_quarter
    while period.end > max(oldest, floor):
        result.append(period)
        period = period.previous()
    return result
