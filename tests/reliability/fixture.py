"""The hand-worked November 2026: stored timestamps, and the figures worked out by hand.

November has 30 days: 30 * 86,400 = 2,592,000 seconds.

Component A ("api"), operational all month but for:
- a major outage 10 Nov 00:00-03:00 (3 h = 10,800 s, counted fully),
- a partial outage 20 Nov 00:00-10:00 (10 h = 36,000 s, counted 30%: 10,800 s),
- announced maintenance 25 Nov 02:00-04:00 (7,200 s), a major outage in it 02:00-03:00
  (3,600 s).
Component B ("web"), created 16 Nov 00:00, operational since: 15 days = 1,296,000 s.

Incidents (started, first public post, resolved; promises due -> answered):
- I0 minor: 31 Oct 23:00, 23:10, 1 Nov 01:00; due 1 Nov 00:30 -> 00:45 (late). October's
  incident, November's promise. Touches A.
- I1 major: 10 Nov 00:00, 00:12, 03:00; due 00:42 -> 00:40 (kept), 01:12 -> 01:20 (late),
  01:50 -> 03:00 (late). Touches A.
- I2 minor: 20 Nov 00:00, 00:05, 10:00; due 01:05 -> 01:00 (kept), 03:00 -> 02:55 (kept).
  Touches A.
- I3 critical: 25 Nov 02:00, 02:30, 03:00; due 03:00 -> 03:00 (kept: on the minute is on
  time). Touches A.
- I4 minor: 30 Nov 23:00, 23:20, still open; next update due 1 Dec 00:20 (December's).
  Touches B.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


A_STATUSES = [
    (NOVEMBER, "operational"),
    (at(10, 0), "major_outage"),
    (at(10, 3), "operational"),
    (at(20, 0), "partial_outage"),
    (at(20, 10), "operational"),
    (at(25, 2), "major_outage"),
    (at(25, 3), "operational"),
]
A_MAINTENANCE = [(at(25, 2), at(25, 4))]
B_CREATED = at(16, 0)

# (name, impact, started, first post, resolved, [(due, answered)], touches, next due)
INCIDENTS = [
    ("I0", "minor", at(31, 23, month=10), at(31, 23, 10, month=10), at(1, 1),
     [(at(1, 0, 30), at(1, 0, 45))], "A", None),
    ("I1", "major", at(10, 0), at(10, 0, 12), at(10, 3),
     [(at(10, 0, 42), at(10, 0, 40)), (at(10, 1, 12), at(10, 1, 20)),
      (at(10, 1, 50), at(10, 3))], "A", None),
    ("I2", "minor", at(20, 0), at(20, 0, 5), at(20, 10),
     [(at(20, 1, 5), at(20, 1)), (at(20, 3), at(20, 2, 55))], "A", None),
    ("I3", "critical", at(25, 2), at(25, 2, 30), at(25, 3), [(at(25, 3), at(25, 3))], "A", None),
    ("I4", "minor", at(30, 23), at(30, 23, 20), None, [], "B", at(1, 0, 20, month=12)),
]  # fmt: skip

# -- by hand ------------------------------------------------------------------------------
# A, every second counted: down = 10,800 + 0.3 * 36,000 + 3,600 = 25,200 s of 2,592,000.
A_WITH = 1 - 25_200 / 2_592_000  # 0.990277...
# A, maintenance taken out: 2,592,000 - 7,200 = 2,584,800 s observed; the 3,600 s of
# outage inside the window go with it: down = 21,600 s.
A_WITHOUT = 1 - 21_600 / 2_584_800  # 0.991643...
# Overall: A and B together, 2,592,000 + 1,296,000 = 3,888,000 s, B never down.
ALL_WITH = 1 - 25_200 / 3_888_000  # 0.993518...
ALL_WITHOUT = 1 - 21_600 / (3_888_000 - 7_200)  # 1 - 21,600 / 3,880,800 = 0.994434...

# Started in November: I1 major, I2 minor, I3 critical, I4 minor.
ALL_BY_IMPACT = (("none", 0), ("minor", 2), ("major", 1), ("critical", 1))
A_BY_IMPACT = (("none", 0), ("minor", 1), ("major", 1), ("critical", 1))
# First posts: I1 12, I2 5, I3 30, I4 20 min; sorted 5, 12, 20, 30.
# Median of four: (12 + 20) / 2 = 16 min. p90: rank ceil(0.9 * 4) = 4, the 4th: 30 min.
ALL_FIRST_MEDIAN, ALL_FIRST_P90 = timedelta(minutes=16), timedelta(minutes=30)
# A alone: 5, 12, 30. Median 12; p90 rank ceil(2.7) = 3: 30 min.
A_FIRST_MEDIAN, A_FIRST_P90 = timedelta(minutes=12), timedelta(minutes=30)
# Resolved: I1 180, I2 600, I3 60 min (I4 open): MTTR (180 + 600 + 60) / 3 = 280 min.
ALL_MTTR, ALL_RESOLVED = timedelta(minutes=280), 3
# Promises due in November: I0 1 (late), I1 3 (1 kept), I2 2 (kept), I3 1 (kept) = 7,
# kept 0 + 1 + 2 + 1 = 4. I4's is due in December. All of them touch A.
ALL_PROMISES, ALL_KEPT = 7, 4
