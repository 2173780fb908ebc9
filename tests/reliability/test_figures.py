"""The figures as pure functions, against the hand-worked November (fixture.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.cadence import Gap
from incidents.reliability.documents import duration, percent
from incidents.reliability.figures import IncidentFacts, combined, percentile, period_figures
from incidents.uptime import uptime_both_ways
from tests.reliability import fixture as f


def _statuses(points: list[tuple[object, str]], end: object) -> list[tuple[object, object, str]]:
    return [
        (at, points[i + 1][0] if i + 1 < len(points) else end, status)
        for i, (at, status) in enumerate(points)
    ]


def _facts(touching: str | None = None) -> list[IncidentFacts]:
    facts = []
    for name, impact, started, first, resolved, promises, touches, next_due in f.INCIDENTS:
        if touching and touches != touching:
            continue
        gaps = [Gap(due_at=d, posted_at=p) for d, p in promises]
        if next_due:
            gaps.append(Gap(due_at=next_due, posted_at=None))
        facts.append(IncidentFacts(name, impact, started, first, resolved, tuple(gaps)))
    return facts


def _uptime_a() -> object:
    return uptime_both_ways(
        statuses=_statuses(f.A_STATUSES, f.DECEMBER),  # type: ignore[arg-type]
        maintenance=f.A_MAINTENANCE,
        start=f.NOVEMBER,
        end=f.DECEMBER,
    )


def _uptime_b() -> object:
    return uptime_both_ways(
        statuses=[(f.B_CREATED, f.DECEMBER, "operational")],
        maintenance=[],
        start=f.NOVEMBER,
        end=f.DECEMBER,
    )


def test_component_a_matches_the_hand_worked_figures() -> None:
    figures = period_figures(
        start=f.NOVEMBER, end=f.DECEMBER, now=f.NOW, uptime=_uptime_a(),  # type: ignore[arg-type]
        incidents=_facts("A"),
    )  # fmt: skip
    assert figures.uptime is not None
    assert figures.uptime.with_maintenance == pytest.approx(f.A_WITH)
    assert figures.uptime.without_maintenance == pytest.approx(f.A_WITHOUT)
    assert figures.uptime.maintenance_seconds == 7_200
    assert figures.incidents_by_impact == f.A_BY_IMPACT
    assert figures.incidents == 3
    assert (figures.first_post_median, figures.first_post_p90) == (
        f.A_FIRST_MEDIAN,
        f.A_FIRST_P90,
    )
    assert (figures.time_to_resolve, figures.resolved) == (f.ALL_MTTR, f.ALL_RESOLVED)
    assert (figures.promises, figures.promises_kept) == (f.ALL_PROMISES, f.ALL_KEPT)


def test_the_whole_page_matches_the_hand_worked_figures() -> None:
    uptime = combined([_uptime_a(), _uptime_b(), None])  # type: ignore[list-item]
    figures = period_figures(
        start=f.NOVEMBER, end=f.DECEMBER, now=f.NOW, uptime=uptime, incidents=_facts()
    )
    assert figures.uptime is not None
    assert figures.uptime.with_maintenance == pytest.approx(f.ALL_WITH)
    assert figures.uptime.without_maintenance == pytest.approx(f.ALL_WITHOUT)
    assert figures.uptime.observed_seconds == 3_888_000
    assert figures.incidents_by_impact == f.ALL_BY_IMPACT
    assert (figures.first_post_median, figures.first_post_p90) == (
        f.ALL_FIRST_MEDIAN,
        f.ALL_FIRST_P90,
    )
    assert (figures.time_to_resolve, figures.resolved) == (f.ALL_MTTR, f.ALL_RESOLVED)
    assert (figures.promises, figures.promises_kept) == (f.ALL_PROMISES, f.ALL_KEPT)


def test_an_outstanding_promise_counts_once_overdue_in_its_own_period() -> None:
    # I4's promise is due 1 Dec 00:20, unanswered. Seen at 00:10 it is not yet counted;
    # at 00:30 it counts, and as broken.
    incidents = _facts("B")
    before = period_figures(
        start=f.DECEMBER, end=f.DECEMBER + timedelta(days=31), now=f.at(1, 0, 10, month=12),
        uptime=None, incidents=incidents,
    )  # fmt: skip
    after = period_figures(
        start=f.DECEMBER, end=f.DECEMBER + timedelta(days=31), now=f.at(1, 0, 30, month=12),
        uptime=None, incidents=incidents,
    )  # fmt: skip
    assert (before.promises, before.promises_kept) == (0, 0)
    assert (after.promises, after.promises_kept) == (1, 0)
    assert after.incidents == 0  # I4 started in November


def test_nothing_in_the_period_gives_no_figures_rather_than_zeros() -> None:
    figures = period_figures(start=f.NOVEMBER, end=f.DECEMBER, now=f.NOW, uptime=None, incidents=[])
    assert figures.uptime is None
    assert figures.first_post_median is None and figures.first_post_p90 is None
    assert figures.time_to_resolve is None
    assert figures.incidents == 0 and figures.promises == 0


@pytest.mark.parametrize(
    ("minutes", "share", "expected"),
    [
        ([10], 0.9, 10),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9),  # rank ceil(9.0) = 9
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9, 10),  # rank ceil(9.9) = 10
        ([5, 1, 3], 0.5, 3),  # rank ceil(1.5) = 2 of 1, 3, 5
    ],
)
def test_percentile_is_the_nearest_rank(minutes: list[int], share: float, expected: int) -> None:
    values = [timedelta(minutes=m) for m in minutes]
    assert percentile(values, share) == timedelta(minutes=expected)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1.0, "100.000%"),
        (0.99, "99.000%"),  # not 98.999%: 0.99 * 100,000 is not whole in binary
        (0.9999996, "99.999%"),  # truncated: never a perfect 100% that was not
        (None, "\N{EN DASH}"),
    ],
)
def test_percent_as_the_page_shows_it(value: float | None, shown: str) -> None:
    assert percent(value) == shown


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(16, "16 min"), (280, "4 h 40 min"), (120, "2 h"), (60 * 50, "2 d 2 h"), (60 * 48, "2 d")],
)
def test_duration_as_the_page_shows_it(minutes: int, shown: str) -> None:
    assert duration(timedelta(minutes=minutes)) == shown
