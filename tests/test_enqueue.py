"""Queueing by name (incidents/enqueue.py): coalesced, failing fast on a dead broker, and
falling back so that no work is lost. The broker is the real local Redis, or a loopback
port where nothing listens."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from redis import Redis

from incidents import enqueue, worker_heartbeat
from incidents.enqueue import Coalesce, Fallback, Outcome, Watchdog
from statuspage.celery import app

ran: list[str] = []
TASK = "tests.test_enqueue.record"
BROKER_DB = 13  # a Redis database of its own: no worker takes what these tests queue


@app.task(name=TASK)
def record(value: str) -> None:
    ran.append(value)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the socket is


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    ran.clear()
    enqueue._queued_at.clear()
    yield
    cache.delete_many(["enqueue-test", worker_heartbeat.KEY])


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Redis]:
    """Tasks go to the real Redis broker (not run eagerly), in a database of their own."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:6379/{BROKER_DB}")
    redis = Redis.from_url(f"redis://127.0.0.1:6379/{BROKER_DB}")
    yield redis
    for raw in redis.lrange("celery", 0, -1):
        if json.loads(raw)["headers"]["task"] == TASK:
            redis.lrem("celery", 0, raw)


@pytest.fixture
def dead_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker is down: nothing listens on its port."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{closed_port()}/0")


def queued(redis: Redis, value: str) -> int:
    messages = [json.loads(raw) for raw in redis.lrange("celery", 0, -1)]
    return sum(
        1
        for m in messages
        if m["headers"]["task"] == TASK and m["headers"]["argsrepr"] == repr((value,))
    )


def test_a_task_is_queued_by_its_name_on_the_real_broker(broker: Redis) -> None:
    value = uuid.uuid4().hex
    assert enqueue.enqueue(TASK, value, countdown=5) is Outcome.QUEUED
    assert queued(broker, value) == 1
    assert ran == []  # a worker runs it, not this process


def test_a_burst_queues_one_run_until_the_task_starts(broker: Redis) -> None:
    burst = Coalesce("enqueue-test", seconds=60, until_started=True)
    value = uuid.uuid4().hex
    outcomes = [enqueue.enqueue(TASK, value, coalesce=burst) for _ in range(5)]
    assert outcomes == [Outcome.QUEUED] + [Outcome.COALESCED] * 4
    assert queued(broker, value) == 1
    enqueue.coalesce_release(burst)  # what the task does as it starts
    assert enqueue.enqueue(TASK, value, coalesce=burst) is Outcome.QUEUED
    assert queued(broker, value) == 2


def test_an_expiring_marker_is_remembered_by_the_process_that_queued(broker: Redis) -> None:
    window = Coalesce("enqueue-test", seconds=60)
    value = uuid.uuid4().hex
    assert enqueue.enqueue(TASK, value, coalesce=window) is Outcome.QUEUED
    cache.delete("enqueue-test")  # even with the shared marker gone (flushed, another key)
    assert enqueue.enqueue(TASK, value, coalesce=window) is Outcome.COALESCED
    assert queued(broker, value) == 1


def test_a_dead_broker_fails_fast_and_leaves_the_work_to_the_sweep(dead_broker: None) -> None:
    worker_heartbeat.beat()
    started = time.monotonic()
    outcome = enqueue.enqueue(TASK, "x", coalesce=Coalesce("enqueue-test", seconds=60))
    assert outcome is Outcome.FAILED
    assert time.monotonic() - started < 2  # Celery's own connection retries for seconds
    assert ran == []
    # The marker stays until it expires: the next requests do not each wait on the broker.
    assert enqueue.enqueue(TASK, "y", coalesce=Coalesce("enqueue-test", 60)) is Outcome.COALESCED


def test_a_dead_broker_runs_the_task_here_when_nobody_would_do_it_later(
    dead_broker: None,
) -> None:
    worker_heartbeat.beat()  # a worker is alive: the broker is what fails
    burst = Coalesce("enqueue-test", seconds=60, until_started=True)
    started = time.monotonic()
    assert enqueue.enqueue(TASK, "x", coalesce=burst, fallback=Fallback.HERE) is Outcome.RAN_HERE
    assert time.monotonic() - started < 2
    assert ran == ["x"]
    assert cache.get("enqueue-test") is None  # the next change tries the broker again


def test_without_a_live_worker_the_task_runs_here_and_is_not_queued(broker: Redis) -> None:
    value = uuid.uuid4().hex
    assert enqueue.enqueue(TASK, value, fallback=Fallback.HERE) is Outcome.RAN_HERE
    assert ran == [value] and queued(broker, value) == 0


def test_the_watchdog_runs_the_task_here_when_its_work_is_still_undone(broker: Redis) -> None:
    worker_heartbeat.beat()
    done: dict[str, Any] = {}

    def arm() -> Any:
        done["armed"] = True
        return lambda: "worker" not in done  # nobody took the queued task

    value = uuid.uuid4().hex
    watchdog = Watchdog(0.2, arm=arm)
    assert enqueue.enqueue(TASK, value, fallback=Fallback.HERE, watchdog=watchdog) is (
        Outcome.QUEUED
    )
    assert done == {"armed": True}
    deadline = time.monotonic() + 10
    while not ran and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ran == [value]


def test_eager_tasks_run_at_once_by_name() -> None:
    assert app.conf.task_always_eager
    assert enqueue.enqueue(TASK, "now") is Outcome.QUEUED
    assert ran == ["now"]


def test_the_tasks_module_is_found_by_name_though_no_service_imports_it() -> None:
    assert enqueue.task_named("incidents.tasks.publish_site").name == (
        "incidents.tasks.publish_site"
    )
    assert enqueue.task_named("incidents.tasks.notify_fanout").__module__ == "incidents.tasks"
