"""The token bucket every Redis rate limit uses (incidents/ratelimit.py), on the real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from incidents.ratelimit import bucket_take, local_take


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.fixture
def key(client: redis.Redis) -> Iterator[str]:
    name = f"{settings.CACHES['default']['KEY_PREFIX']}:test-bucket:{uuid.uuid4().hex}"
    yield name
    client.delete(name)


def test_a_cost_is_taken_all_or_none_and_says_how_long_to_wait(
    client: redis.Redis, key: str
) -> None:
    now = 1_000_000
    first = bucket_take(client, key, rate=10, burst=10, cost=8, now_ms=now)
    assert (first.ok, first.granted) == (True, 8)
    short = bucket_take(client, key, rate=10, burst=10, cost=5, now_ms=now)
    assert (short.ok, short.granted, short.wait_ms) == (False, 0, 300)  # 3 tokens at 10/s
    later = bucket_take(client, key, rate=10, burst=10, cost=5, now_ms=now + 300)
    assert later.ok and later.granted == 5


def test_extra_is_granted_from_what_is_left_and_never_beyond_the_burst(
    client: redis.Redis, key: str
) -> None:
    now = 5_000_000
    taken = bucket_take(client, key, rate=20, burst=20, cost=1, extra=14, now_ms=now)
    assert (taken.granted, taken.extra) == (15, 14)
    rest = bucket_take(client, key, rate=20, burst=20, cost=1, extra=14, now_ms=now)
    assert (rest.granted, rest.extra) == (5, 4)
    idle = bucket_take(client, key, rate=20, burst=20, cost=1, extra=99, now_ms=now + 60_000)
    assert idle.granted == 20  # a long idle refills to the burst, no further


def test_tokens_given_back_count_and_a_clock_going_back_refills_nothing(
    client: redis.Redis, key: str
) -> None:
    now = 9_000_000
    assert bucket_take(client, key, rate=1, burst=10, cost=10, now_ms=now).ok
    assert not bucket_take(client, key, rate=1, burst=10, cost=1, now_ms=now - 5_000).ok
    back = bucket_take(client, key, rate=1, burst=10, cost=3, back=4, now_ms=now)
    assert back.ok and back.granted == 3


def test_without_a_time_the_bucket_runs_on_redis_clock(client: redis.Redis, key: str) -> None:
    assert bucket_take(client, key, rate=5, burst=5, cost=1, extra=10).granted == 5
    assert bucket_take(client, key, rate=5, burst=5, cost=1).ok is False
    assert 0 < client.pttl(key) <= 2000  # gone once it would be full again anyway


def test_the_in_process_bucket_does_the_same_arithmetic() -> None:
    ok, wait, state = local_take(None, rate=10, burst=10, cost=8, now=1000.0)
    assert ok and state == (2.0, 1000.0)
    ok, wait, state = local_take(state, rate=10, burst=10, cost=5, now=1000.0)
    assert not ok and wait == pytest.approx(0.3) and state == (2.0, 1000.0)
    ok, wait, state = local_take(state, rate=10, burst=10, cost=5, now=999.0)  # clock back
    assert not ok and state == (2.0, 1000.0)
    ok, wait, state = local_take(state, rate=10, burst=10, cost=5, now=1060.0)
    assert ok and state == (5.0, 1060.0)  # refilled to the burst, no further
