"""Per-source admission: a token bucket in Redis (incidents/ratelimit.py's), and the
counters the console shows (from Redis, with the database's stored signals as their floor).

One Lua script takes the tokens and counts the outcome in a per-minute hash, so a request
costs at most one Redis round trip. Under a storm, a process that called moments ago
takes a lease with its tokens: up to LEASE_SECONDS of the source's rate (a quarter of
its burst at most), spent by its next requests without a round trip. A lease's tokens
come out of the one bucket, so the sources' rates hold across processes; what a process
leased but did not use within LEASE_SECONDS goes back to the bucket with its next call
(meanwhile other processes may be refused up to that many signals early), and what it
admitted from the lease is counted with that call. When Redis is unreachable (or not
configured) each process keeps its own bucket at the same rate: ingest slows to what one
process admits rather than failing; the console's counters then fall back to what the
database stored.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db.models import Count, Max, Q

from incidents.models import Signal, Source
from incidents.ratelimit import bucket_script, local_take

log = logging.getLogger(__name__)

STATS_MINUTES = 5  # how far back the console's throughput looks
_STATS_TTL = 3600  # also in the script's EXPIRE

# KEYS: bucket, stats, last seen; ARGV: rate/s, burst, cost, now ms, now s, how many
# requests this process refused on its own since it last called (see `refusing`), the
# lease wanted on top of the cost, and the tokens this process returns from its last
# lease and the signals it admitted from it. Returns ok, wait ms, tokens leased.
# The bucket is incidents/ratelimit.py's; this script counts the outcome with it.
_COUNT_AND_TAKE = """
local cost = tonumber(ARGV[3])
if tonumber(ARGV[9]) > 0 then redis.call('HINCRBY', KEYS[2], 'accepted', ARGV[9]) end
local ok, wait, leased = take_tokens(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), cost,
  tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[4]))
if ok == 1 then
  redis.call('HINCRBY', KEYS[2], 'accepted', cost)
else
  redis.call('HINCRBY', KEYS[2], 'rejected', 1)
end
if tonumber(ARGV[6]) > 0 then redis.call('HINCRBY', KEYS[2], 'rejected', ARGV[6]) end
redis.call('EXPIRE', KEYS[2], 3600)
redis.call('SET', KEYS[3], ARGV[5], 'EX', 86400 * 30)
return {ok, wait, leased}
"""
# How long a lease lasts: short, because its unused tokens are kept from other processes.
LEASE_SECONDS = 0.05


@dataclass(frozen=True)
class Admission:
    admitted: bool
    retry_after: int = 0  # whole seconds, for the Retry-After header


@dataclass(frozen=True)
class SourceStats:
    accepted: int
    rejected: int
    last_seen: datetime | None

    @property
    def per_second(self) -> float:
        return self.accepted / (STATS_MINUTES * 60)


_client: redis.Redis | None = None
_script: object = None
_local: dict[int, tuple[float, float]] = {}
_short_until: dict[int, float] = {}  # source id -> monotonic time its bucket may have refilled
_unreported: dict[int, int] = {}  # source id -> refusals not yet counted in Redis
_local_lock = threading.Lock()


@dataclass
class _Lease:
    tokens: int
    until: float  # monotonic
    spent: int = 0  # signals admitted from it, not yet counted in Redis


_leases: dict[int, _Lease] = {}  # source id -> this process's lease (under _local_lock)
_called_at: dict[int, float] = {}  # source id -> monotonic time of the last Redis call
_fetching: set[int] = set()  # sources a thread of this process is leasing for right now


def _redis() -> redis.Redis | None:
    global _client, _script
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return None
    if _client is None:
        # Short timeouts: an unreachable Redis must cost milliseconds, then the fallback.
        _client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        _script = bucket_script(_client, _COUNT_AND_TAKE)
    return _client


def _prefix() -> str:
    return str(settings.CACHES["default"].get("KEY_PREFIX", "candor"))


def _keys(source: Source, now: datetime) -> list[str]:
    p = _prefix()
    minute = int(now.timestamp() // 60)
    return [
        f"{p}:ingest:bucket:{source.pk}",
        f"{p}:ingest:stats:{source.pk}:{minute}",
        f"{p}:ingest:seen:{source.pk}",
    ]


def admit(source: Source, *, cost: int, now: datetime) -> Admission:
    """Take `cost` tokens (signals) from the source's bucket; a payload larger than the
    burst costs the whole burst, so it can still get through."""
    cost = max(1, min(cost, source.burst))
    rate = max(1, source.rate_per_second)
    client = _redis()
    if client is not None:
        moment = time.monotonic()
        with _local_lock:
            lease = _leases.pop(source.pk, None)
            if lease is not None and lease.tokens >= cost and moment < lease.until:
                lease.tokens -= cost
                lease.spent += cost
                _leases[source.pk] = lease
                return Admission(True)
            busy = moment - _called_at.get(source.pk, -1e9) < LEASE_SECONDS
            _called_at[source.pk] = moment
            # One thread of this process fetches a lease at a time; the others ask for
            # their own cost only, so a burst of threads cannot hoard the bucket.
            fetching = busy and source.pk not in _fetching
            if fetching:
                _fetching.add(source.pk)
        # A lease only for a source this process is busy with: an occasional alert keeps
        # the counters exact and takes no tokens from the other processes.
        extra = min(source.burst // 4, math.ceil(rate * LEASE_SECONDS)) if fetching else 0
        back, spent = (lease.tokens, lease.spent) if lease is not None else (0, 0)
        unreported = _unreported.pop(source.pk, 0)
        try:
            ok, wait, leased = _script(  # type: ignore[operator]
                keys=_keys(source, now),
                args=[
                    rate, source.burst, cost, int(now.timestamp() * 1000),
                    int(now.timestamp()), unreported, extra, back, spent,
                ],
            )  # fmt: skip
        except redis.RedisError:
            _fetching.discard(source.pk)
            log.warning("Redis unreachable; admitting with this process's bucket")
        else:
            with _local_lock:
                _fetching.discard(source.pk)
                if int(leased):
                    # Added to any lease another thread put back meanwhile: none is lost.
                    held = _leases.setdefault(source.pk, _Lease(0, 0.0))
                    held.tokens += int(leased)
                    held.until = moment + LEASE_SECONDS
            if not ok:
                _short_until[source.pk] = time.monotonic() + int(wait) / 1000
            return Admission(bool(ok), max(1, math.ceil(int(wait) / 1000)) if not ok else 0)
    return _admit_local(source, cost=cost, rate=rate, now=now)


def refusing(source: Source) -> Admission | None:
    """A refusal without asking Redis, while the bucket this process last found short
    cannot have refilled yet (milliseconds, under a storm): the request is then answered
    429 before its body is read, which is what keeps refusing cheap. Counted as a reject
    with the next call to Redis."""
    until = _short_until.get(source.pk)
    if until is None or time.monotonic() >= until:
        return None
    _unreported[source.pk] = _unreported.get(source.pk, 0) + 1
    return Admission(False, max(1, math.ceil(until - time.monotonic())))


def _admit_local(source: Source, *, cost: int, rate: int, now: datetime) -> Admission:
    with _local_lock:
        ok, wait, _local[source.pk] = local_take(
            _local.get(source.pk), rate=rate, burst=source.burst, cost=cost, now=now.timestamp()
        )
    return Admission(True) if ok else Admission(False, max(1, math.ceil(wait)))


def count_refusal(source: Source, *, now: datetime) -> None:
    """Count a request refused before admission (bad token, bad body) as a reject."""
    client = _redis()
    if client is None:
        return
    try:
        key = _keys(source, now)[1]
        with client.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, "rejected", 1)
            pipe.expire(key, _STATS_TTL)
            pipe.execute()
    except redis.RedisError:
        pass  # advisory counters; the refusal itself has been answered


def stats(sources: list[Source], *, now: datetime) -> dict[int, SourceStats]:
    """Accepted signals and rejected requests over the last STATS_MINUTES, and last seen.

    The database's figures are the floor: alerts stored in the window, and the latest
    receipt. Without Redis (`make run`) or after its counters expired they are all there
    is; with it, Redis also counts an alert re-sent within the window, and the rejects,
    which store nothing.
    """
    stored = _stored(sources, now=now)
    counted = _counted(sources, now=now)
    result = {}
    for source in sources:
        db_accepted, db_seen = stored.get(source.pk, (0, None))
        accepted, rejected, seen = counted.get(source.pk, (0, 0, None))
        seens = [t for t in (db_seen, seen) if t is not None]
        result[source.pk] = SourceStats(
            max(accepted, db_accepted), rejected, max(seens) if seens else None
        )
    return result


def _stored(sources: list[Source], *, now: datetime) -> dict[int, tuple[int, datetime | None]]:
    since = now - timedelta(minutes=STATS_MINUTES)
    rows = (
        Signal.objects.filter(source__in=sources)
        .values("source")
        .annotate(
            recent=Count("pk", filter=Q(last_received_at__gte=since)),
            seen=Max("last_received_at"),
        )
    )
    return {row["source"]: (row["recent"], row["seen"]) for row in rows}


def _counted(
    sources: list[Source], *, now: datetime
) -> dict[int, tuple[int, int, datetime | None]]:
    client = _redis()
    if client is None or not sources:
        return {}
    minute = int(now.timestamp() // 60)
    p = _prefix()
    try:
        with client.pipeline(transaction=False) as pipe:
            for source in sources:
                for m in range(minute - STATS_MINUTES + 1, minute + 1):
                    pipe.hmget(f"{p}:ingest:stats:{source.pk}:{m}", "accepted", "rejected")
                pipe.get(f"{p}:ingest:seen:{source.pk}")
            answers = iter(pipe.execute())
    except redis.RedisError:
        return {}
    result = {}
    for source in sources:
        accepted = rejected = 0
        for _ in range(STATS_MINUTES):
            a, r = next(answers)
            accepted += int(a or 0)
            rejected += int(r or 0)
        seen = next(answers)
        last = datetime.fromtimestamp(int(seen), tz=now.tzinfo) if seen else None
        result[source.pk] = (accepted, rejected, last)
    return result


def reset_local() -> None:
    """Forget this process's fallback buckets (tests)."""
    with _local_lock:
        _local.clear()
        _leases.clear()
        _called_at.clear()
        _fetching.clear()
    _short_until.clear()
    _unreported.clear()
