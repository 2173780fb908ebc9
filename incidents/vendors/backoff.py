"""When to poll a vendor next: its interval while it answers, and after failures an
exponential backoff with full jitter, capped, so that a vendor whose page is down is not
hammered and many vendors failing together do not retry in step."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings


def next_poll(
    *, now: datetime, interval: int, failures: int, rng: random.Random | None = None
) -> datetime:
    if failures <= 0:
        return now + timedelta(seconds=interval)
    cap = settings.CANDOR_VENDOR_BACKOFF_MAX
    ceiling = min(cap, interval * 2 ** min(failures, 20))
    # Never sooner than the healthy interval: a failure must not make us poll faster.
    delay = max(interval, (rng or random).uniform(ceiling / 2, ceiling))
    return now + timedelta(seconds=delay)
