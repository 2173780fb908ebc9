"""Candor's one counting limit: a fixed window per key, in the shared cache.

Subscribing (per address, destination, domain, block of numbers) and signing in (per
account and address) count attempts with it. It works on Redis in production and on the
local-memory cache of the embedded setup. Keys are hashed by the callers when they carry
what a visitor typed. The fan-out's provider pacing is a token bucket instead
(notify/limits.py): it hands out a batch's worth of sends, not a yes or no.
"""

from __future__ import annotations

from django.core.cache import cache


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
