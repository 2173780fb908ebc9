"""Months and quarters: UTC, half-open, named as in the URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidents.reliability.periods import Period, month_of, parse, periods_between, quarter_of


def test_a_moment_at_midnight_on_the_first_belongs_to_the_period_it_begins() -> None:
    midnight = datetime(2026, 10, 1, tzinfo=UTC)
    assert month_of(midnight) == Period(2026, "month", 10)
    assert quarter_of(midnight) == Period(2026, "quarter", 4)
    just_before = midnight - timedelta(microseconds=1)
    assert month_of(just_before) == Period(2026, "month", 9)
    assert quarter_of(just_before) == Period(2026, "quarter", 3)


def test_periods_are_counted_in_utc_whatever_the_offset_given() -> None:
    # 1 Oct 01:00 at UTC+02:00 is 30 Sep 23:00 UTC: September, Q3.
    local = datetime(2026, 10, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert month_of(local).slug == "2026-09"
    assert quarter_of(local).slug == "2026-Q3"


@pytest.mark.parametrize(
    ("slug", "start", "end"),
    [
        ("2026-12", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-02", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-Q1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
        ("2026-Q4", datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_bounds(slug: str, start: datetime, end: datetime) -> None:
    period = parse(slug)
    assert period is not None
    assert (period.start, period.end, period.slug) == (start, end, slug)


FULLWIDTH_2026 = "\uff12\uff10\uff12\uff16"


@pytest.mark.parametrize(
    "slug",
    ["2026-13", "2026-00", "2026-Q0", "2026-Q5", "1969-12", "26-01", "2026-1", "2026-q1",
     "2026-01\n", FULLWIDTH_2026 + "-01"],
)  # fmt: skip
def test_what_is_not_a_period(slug: str) -> None:
    assert parse(slug) is None


def test_previous_crosses_the_year() -> None:
    assert Period(2026, "month", 1).previous() == Period(2025, "month", 12)
    assert Period(2026, "quarter", 1).previous() == Period(2025, "quarter", 4)


def test_periods_between_go_back_to_the_oldest_fact_newest_first() -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    found = [p.slug for p in periods_between(datetime(2026, 8, 20, tzinfo=UTC), now, months=24)]
    assert found == ["2026-12", "2026-11", "2026-10", "2026-09", "2026-08", "2026-Q4", "2026-Q3"]


def test_periods_between_stop_at_the_limit() -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    found = [p.slug for p in periods_between(datetime(2000, 1, 1, tzinfo=UTC), now, months=4)]
    assert found == ["2026-12", "2026-11", "2026-10", "2026-09", "2026-Q4", "2026-Q3"]
