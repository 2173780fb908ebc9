"""Candor's two rate-limit primitives, both shared by every process.

- A fixed window per key, in the shared cache (`window_hit`): subscribing (per address,
  destination, domain, block of numbers) and signing in (per account and address) count
  attempts with it. It works on Redis in production and on the local-memory cache of the
  embedded setup. Keys are hashed by the callers when they carry what a visitor typed.
- A token bucket in Redis (`bucket_take`, or `BUCKET_LUA` inside a caller's own script):
  it hands out a batch's worth, not a yes or no. The fan-out paces each provider with it
  (notify/limits.py); ingest admits each source's signals with it (ingest/admission.py),
  in the same round trip as its counters, and falls back to the same arithmetic in its
  own process (`local_take`) while Redis is down.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import redis
from django.core.cache import cache
from redis.commands.core import Script


def window_hit(key: str, *, seconds: int) -> int:
    """Count one attempt in `key`'s window; how many there have been in it.

    The window opens with the first attempt and closes `seconds` later.
    """
    cache.add(key, 0, timeout=seconds)
    return int(cache.incr(key))


def window_count(key: str) -> int:
    return int(cache.get(key, 0))


def window_clear(key: str) -> None:
    cache.delete(key)


# take_tokens(key, rate/s, burst, cost, extra, back, now ms): take `cost` tokens, all or
# none, and up to `extra` more if the bucket has them (a batch, or a lease of tokens to
# spend without a round trip); `back` returns unused tokens first. The bucket starts full
# and refills at `rate` a second up to `burst`; a clock that goes back refills nothing.
# Returns ok (1/0), the milliseconds until `cost` would be there, and the extra granted.
# A caller's script defines its own KEYS/ARGV and calls it, so it can do more in the same
# round trip (ingest counts its outcomes).
BUCKET_LUA = """
local function take_tokens(key, rate, burst, cost, extra, back, now)
  local state = redis.call('HMGET', key, 't', 'ts')
  local tokens = tonumber(state[1])
  local ts = tonumber(state[2])
  if tokens == nil then tokens = burst; ts = now end
  if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) else now = ts end
  tokens = math.min(burst, tokens + back)
  local ok = 0
  local wait = 0
  local granted = 0
  if tokens >= cost then
    granted = math.max(0, math.min(extra, math.floor(tokens - cost)))
    tokens = tokens - cost - granted
    ok = 1
  else
    wait = math.ceil((cost - tokens) * 1000 / rate)
  end
  redis.call('HSET', key, 't', tostring(tokens), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
  return ok, wait, granted
end
"""

# KEYS: bucket; ARGV: rate/s, burst, cost, extra, back, now ms (empty: Redis's clock, the
# one every worker shares).
_TAKE = (
    BUCKET_LUA
    + """
local now = tonumber(ARGV[6])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ok, wait, granted = take_tokens(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), now)
return {ok, wait, granted}
"""
)


@dataclass(frozen=True)
class Taken:
    ok: bool  # the cost was taken
    wait_ms: int  # when not: how long until it would be there
    extra: int  # tokens granted on top of the cost
    granted: int  # all the tokens taken: the cost and the extra, or none


def bucket_script(client: redis.Redis, body: str) -> Script:
    """A caller's script with `take_tokens` defined in it (EVALSHA, loaded once)."""
    return client.register_script(BUCKET_LUA + body)


# One loaded script per client (a client is made once per process and kept).
_scripts: weakref.WeakKeyDictionary[redis.Redis, Script] = weakref.WeakKeyDictionary()


def bucket_take(
    client: redis.Redis,
    key: str,
    *,
    rate: float,
    burst: float,
    cost: int = 1,
    extra: int = 0,
    back: int = 0,
    now_ms: int | None = None,
) -> Taken:
    """Take `cost` tokens (and up to `extra` more) from the bucket at `key`.

    Raises redis.RedisError when Redis cannot be reached: what to do then is the caller's
    policy (the fan-out waits; ingest falls back to a bucket per process).
    """
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_TAKE)
    args = [rate, burst, cost, max(0, extra), back, "" if now_ms is None else now_ms]
    ok, wait, granted = script(keys=[key], args=args)
    return Taken(bool(ok), int(wait), int(granted), cost + int(granted) if ok else 0)


def local_take(
    state: tuple[float, float] | None, *, rate: float, burst: float, cost: float, now: float
) -> tuple[bool, float, tuple[float, float]]:
    """The same bucket in one process's memory, for where Redis is not there to share one
    (ingest admission's fallback). `state` is (tokens, seconds) as this call last left it,
    None for a full bucket; returns ok, the seconds until `cost` would be there, and the
    state to keep. The caller holds its own lock."""
    tokens, ts = state if state is not None else (burst, now)
    tokens = min(burst, tokens + max(0.0, now - ts) * rate)
    if tokens >= cost:
        return True, 0.0, (tokens - cost, max(now, ts))
    return False, (cost - tokens) / rate, (tokens, max(now, ts))
