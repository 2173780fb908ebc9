"""Telling the CDN in front of the page that it changed, coalesced during bursts.

The page is cacheable for `s-maxage` seconds (public/cache_control.py), so without a
purge a change reaches readers within that time anyway. A purge makes it immediate, and
lets operators choose a longer `s-maxage` (fewer requests to the origin) without a
slower page. During an outage changes come in bursts (an update, components, a second
update a minute later) and every publish would purge; CDN purge APIs are rate-limited
and a purge empties the cache right when the surge needs it. So: the first change after a
quiet spell purges at once; changes within CANDOR_CDN_PURGE_INTERVAL of a purge are
held and purged together once the interval has passed (a trailing purge, queued with a
countdown), so no change is left unpurged and there is at most one purge per interval.

The request is whatever the CDN's API wants (README, "Behind a CDN"): a method, a URL,
headers and a body, e.g. Cloudflare's `POST .../purge_cache {"purge_everything":true}`
or Fastly's `POST .../purge_all`. A failed purge is logged and retried by the next one:
the page is still correct within `s-maxage`.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.cache import cache

from incidents.enqueue import Coalesce, Fallback, enqueue

log = logging.getLogger(__name__)

LAST = "candor:cdn-purge:last"  # when the last purge was sent (epoch seconds)
HELD = "candor:cdn-purge:held"  # a change arrived since it
TRAILING = Coalesce(key="candor:cdn-purge:queued", seconds=600, until_started=True)
TASK = "incidents.tasks.cdn_purge"


def configured() -> bool:
    return bool(settings.CANDOR_CDN_PURGE_URL)


def purge_soon(*, now: float | None = None) -> str:
    """After a publish: purge now, or hold the purge for the end of the interval."""
    if not configured():
        return "off"
    now = time.time() if now is None else now
    interval = settings.CANDOR_CDN_PURGE_INTERVAL
    last = cache.get(LAST)
    if last is None or now - float(last) >= interval:
        cache.delete(HELD)
        return "sent" if _send(now, attempt=1) else "failed"
    cache.add(HELD, 1, timeout=max(60, interval * 10))
    wait = max(0.0, float(last) + interval - now)
    enqueue(TASK, countdown=wait, coalesce=TRAILING, fallback=Fallback.SWEEP)
    return "held"


def purge_held(*, now: float | None = None) -> str:
    """The trailing purge (the cdn_purge task): send it if a change is still held."""
    attempt = cache.get(HELD)
    if not configured() or not attempt:
        return "nothing held"
    last = cache.get(LAST)
    now = time.time() if now is None else now
    if last is not None and (early := float(last) + settings.CANDOR_CDN_PURGE_INTERVAL - now) > 0:
        # Run early (a worker's clock, an eager run): wait out the interval, bounded.
        time.sleep(min(early, 30.0))
        now += early
    cache.delete(HELD)
    return "sent" if _send(now, attempt=int(attempt)) else "failed"


# A purge that fails is tried this many times in all, an interval apart.
ATTEMPTS = 3


def _send(now: float, *, attempt: int) -> bool:
    cache.set(LAST, now, timeout=max(60, settings.CANDOR_CDN_PURGE_INTERVAL * 10))
    headers = {"Content-Type": "application/json", "User-Agent": "Candor CDN purge"}
    for line in settings.CANDOR_CDN_PURGE_HEADERS:
        name, _, value = line.partition(":")
        if name.strip() and value.strip():
            headers[name.strip()] = value.strip()
    body = settings.CANDOR_CDN_PURGE_BODY.encode() or None
    url = settings.CANDOR_CDN_PURGE_URL
    if not url.startswith(("https://", "http://")):
        log.warning("CANDOR_CDN_PURGE_URL is not an http(s) URL; no purge sent")
        return False
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url,
        data=body,
        headers=headers,
        method=settings.CANDOR_CDN_PURGE_METHOD,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - http(s) only
            answer.read(65536)
            return True
    except (urllib.error.URLError, OSError) as error:
        # Tried again an interval later, a few times, and by the next change; meanwhile
        # s-maxage bounds how stale the CDN's copy can be.
        log.warning("CDN purge failed (attempt %d of %d): %s", attempt, ATTEMPTS, error)
        if attempt < ATTEMPTS:
            interval = settings.CANDOR_CDN_PURGE_INTERVAL
            cache.set(HELD, attempt + 1, timeout=max(60, interval * 10))
            enqueue(TASK, countdown=interval, coalesce=TRAILING, fallback=Fallback.SWEEP)
        return False
