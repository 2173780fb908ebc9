"""Under a storm a process spends leased tokens without a Redis round trip per request,
and the source's rate still holds; the counters catch up with the next call."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from incidents.audit import Actor
from incidents.ingest import admission, sources
from incidents.models import Source, SourceFormat

pytestmark = pytest.mark.django_db


def _source(rate: int, burst: int) -> Source:
    source, _ = sources.source_create(
        actor=Actor.system("test"), name="storm", format=SourceFormat.GENERIC,
        rate_per_second=rate, burst=burst,
    )  # fmt: skip
    return source


@pytest.fixture
def redis_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the bucket's script ran in Redis (the real script, counted)."""
    admission._redis()
    script, calls = admission._script, []

    def counted(**kwargs: Any) -> Any:
        calls.append(1)
        return script(**kwargs)  # type: ignore[operator]

    monkeypatch.setattr(admission, "_script", counted)
    return calls


def test_a_storm_costs_a_redis_call_per_lease_not_per_request(redis_calls: list[int]) -> None:
    source = _source(rate=100_000, burst=100_000)  # never short here
    admitted = [admission.admit(source, cost=1, now=timezone.now()) for _ in range(3000)]
    assert all(a.admitted for a in admitted)
    assert len(redis_calls) <= 300  # not one per request


def test_the_rate_holds_with_leases(redis_calls: list[int]) -> None:
    source = _source(rate=1000, burst=1000)
    started = time.monotonic()
    admitted = sum(
        admission.admit(source, cost=1, now=timezone.now()).admitted for _ in range(3000)
    )
    elapsed = time.monotonic() - started
    assert 1000 <= admitted <= 1000 + 1000 * elapsed + 1


def test_an_occasional_alert_takes_no_lease(redis_calls: list[int]) -> None:
    source = _source(rate=1000, burst=1000)
    for _ in range(3):
        assert admission.admit(source, cost=1, now=timezone.now()).admitted
        time.sleep(admission.LEASE_SECONDS * 1.5)
    assert len(redis_calls) == 3
    counted = admission.stats([source], now=timezone.now())[source.pk]
    assert counted.accepted == 3  # counted at once


def test_what_a_lease_admitted_is_counted_with_the_next_call() -> None:
    source = _source(rate=1000, burst=1000)
    admitted = sum(admission.admit(source, cost=1, now=timezone.now()).admitted for _ in range(200))
    time.sleep(admission.LEASE_SECONDS * 1.5)  # the lease has lapsed
    admitted += admission.admit(source, cost=1, now=timezone.now()).admitted
    assert admission.stats([source], now=timezone.now())[source.pk].accepted == admitted == 201


def test_a_lapsed_lease_gives_its_tokens_back() -> None:
    source = _source(rate=1, burst=100)  # refills a token a second: what is left is left
    for _ in range(2):  # the second call, moments after the first, takes a lease of 25
        assert admission.admit(source, cost=1, now=timezone.now()).admitted
    time.sleep(admission.LEASE_SECONDS * 1.5)
    admitted = sum(admission.admit(source, cost=1, now=timezone.now()).admitted for _ in range(200))
    assert 98 <= admitted <= 99  # 100 - 2, plus at most one refilled; none lost to the lease


def test_threads_leasing_at_once_lose_no_tokens() -> None:
    source = _source(rate=200, burst=3000)  # leases of 10; refills 200 a second
    admitted: list[bool] = []

    def storm() -> None:
        for _ in range(500):
            admitted.append(admission.admit(source, cost=1, now=timezone.now()).admitted)
        connections.close_all()

    started = time.monotonic()
    threads = [threading.Thread(target=storm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    # Every token of the bucket was spent by someone (none stranded in an overwritten
    # lease), and no more than the bucket held and refilled.
    assert 3000 <= sum(admitted) <= 3000 + 200 * elapsed + 80
