"""Per-provider rate limits (the token bucket of incidents/ratelimit.py) and circuit
breakers, kept in Redis.

Both are shared by every worker. Redis makes the fan-out polite, never correct: when it is
unreachable, `StateUnavailable` stops the fan-out before it claims anything, the
deliveries wait in the database, and the sweeper starts them again once Redis is back.
"""

from __future__ import annotations

import logging
import random
import time
from functools import cache as memoize

import redis
from django.conf import settings
from django.core.cache import cache

from incidents.ratelimit import bucket_take

log = logging.getLogger(__name__)


class StateUnavailable(Exception):
    """Redis (or the cache) could not be reached to read or write limiter state."""


def redis_prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'candor')}:notify"


@memoize
def redis_client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1, health_check_interval=10
    )


def tokens_take(provider: str, want: int) -> int:
    """Take up to `want` sends from the provider's bucket; how many were granted.

    The bucket refills at CANDOR_NOTIFY_RATE[provider] per second and holds one second's
    worth, so a burst never exceeds the provider's rate.
    """
    client = redis_client()
    if client is None:  # the embedded single-worker setup: nothing to share a bucket with
        return want
    if want <= 0:
        return 0
    rate = settings.CANDOR_NOTIFY_RATE.get(provider.split(":")[0], 100)
    key = f"{redis_prefix()}:bucket:{provider}"
    try:
        # At least one send, and as many more of `want` as there are (on Redis's clock).
        taken = bucket_take(client, key, rate=rate, burst=rate, cost=1, extra=want - 1)
        return taken.granted
    except redis.RedisError as exc:
        raise StateUnavailable(str(exc)) from exc


def tokens_wait(provider: str, want: int, *, deadline: float) -> int:
    """Like tokens_take, but waits (briefly, up to the deadline) until at least one is free."""
    while True:
        got = tokens_take(provider, want)
        if got or time.monotonic() >= deadline:
            return got
        rate = settings.CANDOR_NOTIFY_RATE.get(provider.split(":")[0], 100)
        # A quarter of the time the bucket takes to refill what it can give at once (it
        # holds one second's worth, however large `want` is).
        time.sleep(max(0.01, min(want, rate) / rate / 4))


# -- circuit breaker ---------------------------------------------------------------------
# closed: failures < threshold. open: the "open" key lives. half-open: the key expired
# while failures >= threshold; one worker at a time may probe (the "probe" key), and its
# success closes the circuit, its failure opens it again.
# Each opening in a row ("trips") doubles how long it stays open, from
# CANDOR_NOTIFY_CIRCUIT_OPEN up to OPEN_DOUBLINGS doublings, with jitter: a provider that
# refuses everyone for an hour sees a probe every few minutes, not a message a second.
OPEN_DOUBLINGS = 4


def _keys(provider: str) -> tuple[str, str, str, str]:
    base = f"notify:circuit:{provider}"
    return f"{base}:failures", f"{base}:open", f"{base}:probe", f"{base}:trips"


def circuit_state(provider: str) -> str:
    """closed, open or half-open."""
    failures, opened, _, _ = _keys(provider)
    try:
        if cache.get(opened):
            return "open"
        if (cache.get(failures) or 0) >= settings.CANDOR_NOTIFY_CIRCUIT_FAILURES:
            return "half-open"
        return "closed"
    except redis.RedisError as exc:
        raise StateUnavailable(str(exc)) from exc


def circuit_probe(provider: str) -> bool:
    """In half-open state, whether this caller is the one that may send the probe."""
    probe = _keys(provider)[2]
    try:
        return bool(cache.add(probe, 1, timeout=settings.CANDOR_NOTIFY_CIRCUIT_OPEN))
    except redis.RedisError as exc:
        raise StateUnavailable(str(exc)) from exc


def circuit_success(provider: str) -> None:
    failures, _, probe, trips = _keys(provider)
    try:
        cache.delete_many([failures, probe, trips])
    except redis.RedisError:
        log.warning("circuit %s: could not record a success (Redis unreachable)", provider)


def open_for(trips: int) -> float:
    """Seconds the circuit stays open at its `trips`-th opening in a row, with jitter."""
    base = settings.CANDOR_NOTIFY_CIRCUIT_OPEN * 2 ** min(max(trips - 1, 0), OPEN_DOUBLINGS)
    return base * random.uniform(0.75, 1.0)


def circuit_failure(provider: str, *, trip: bool = False) -> None:
    """One failure of the provider; `trip` opens the circuit at once (the provider
    refused everyone, fanout.py)."""
    failures, opened, probe, trips = _keys(provider)
    threshold = settings.CANDOR_NOTIFY_CIRCUIT_FAILURES
    try:
        cache.add(failures, 0, timeout=None)
        count = cache.incr(failures)
        if trip and count < threshold:
            count = cache.incr(failures, threshold - count)
        if count >= threshold:
            cache.add(trips, 0, timeout=86_400)
            trip_count = cache.incr(trips)
            cache.set(opened, 1, timeout=max(1, round(open_for(trip_count))))
            cache.delete(probe)
            if count == threshold:
                log.warning("circuit %s opened after %d failures", provider, count)
    except redis.RedisError:
        log.warning("circuit %s: could not record a failure (Redis unreachable)", provider)


# -- who is at work --------------------------------------------------------------------
# A fan-out run refreshes its channel's mark every few seconds while it sends; the sweeper
# starts new runs only for channels nobody is working on, so its kicks every 15 s do not
# pile up tasks behind a long fan-out. A run killed between two batches leaves a mark that
# lapses within ACTIVE_FOR seconds; the next sweep then starts a run again.
ACTIVE_FOR = 10  # seconds a mark lasts
ACTIVE_REFRESH = 3  # seconds between a run's refreshes


def fanout_heartbeat(channel: str) -> None:
    try:
        cache.set(f"notify:active:{channel}", 1, timeout=ACTIVE_FOR)
    except redis.RedisError:
        log.warning("fan-out of %s: could not record that it is at work", channel)


def fanout_active(channel: str) -> bool:
    """Whether a run sent a batch of this channel in the last ACTIVE_FOR seconds."""
    try:
        return bool(cache.get(f"notify:active:{channel}"))
    except redis.RedisError:
        return False  # cannot tell: a kick too many costs less than none
