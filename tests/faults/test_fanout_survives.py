"""Fault tests of the fan-out on real processes: a Celery worker SIGKILLed in the middle of
a 5,000-recipient fan-out, then Redis and PostgreSQL each stopped in the middle of
another. Messages go to a real SMTP server (aiosmtpd, in this process) and are counted
there, per recipient."""

from __future__ import annotations

import contextlib
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.stack import Stack, running_stack
from tests.notify.peers import SmtpSink

pytestmark = pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
    reason="needs PostgreSQL's server binaries",
)

LEASE = 3  # seconds before the sweeper takes back a dead worker's deliveries
CONNECTIONS = 4  # SMTP connections the worker sends over at once (the default)


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink) -> Iterator[Stack]:
    env = {
        "CANDOR_SMTP_HOST": "127.0.0.1",
        "CANDOR_SMTP_PORT": str(sink.port),
        "CANDOR_NOTIFY_LEASE": str(LEASE),
        "CANDOR_NOTIFY_PARALLEL": "1",  # one solo worker
        "CANDOR_EMAIL_CONNECTIONS": str(CONNECTIONS),
    }
    with running_stack(tmp_path_factory.mktemp("stack"), extra_env=env) as stack:
        yield stack


def _subscribe(stack: Stack, count: int, prefix: str) -> None:
    stack.manage(
        "shell", "--no-imports", "-c",
        "from django.utils import timezone; from incidents.models import Subscriber;"
        "Subscriber.objects.all().delete(); n = timezone.now();"
        "Subscriber.objects.bulk_create([Subscriber(channel='email', state='confirmed',"
        f" destination=f'{prefix}{{i}}@example.com', created_at=n, confirmed_at=n)"
        f" for i in range({count})], batch_size=1000)",
    )  # fmt: skip


def _sweep(stack: Stack) -> str:
    """What the beat does every 15 s: re-queue what a dead worker held, restart fan-out."""
    return stack.manage(
        "shell", "--no-imports", "-c", "from incidents import tasks; print(tasks.notify_sweep())"
    )


def _sweeping_until_all_arrive(stack: Stack, sink: SmtpSink, prefix: str, count: int) -> None:
    """Sweep every 5 s, as the beat does every 15 s, until every recipient has a message."""
    deadline = time.monotonic() + 120
    while len(_received(sink, prefix)) < count:
        assert time.monotonic() < deadline, f"timed out waiting for {count}\n{stack.logs()}"
        _sweep(stack)
        with contextlib.suppress(AssertionError):
            stack.wait_until(lambda: len(_received(sink, prefix)) >= count, "everyone", 5)


def _received(sink: SmtpSink, prefix: str) -> Counter[str]:
    return Counter(
        m["X-Envelope-To"] for m in sink.messages if m["X-Envelope-To"].startswith(prefix)
    )


def test_a_worker_killed_mid_fanout_loses_nothing_and_duplicates_at_most_its_last(
    stack: Stack, sink: SmtpSink
) -> None:
    _subscribe(stack, 5000, "kill")
    stack.start_worker()
    stack.open_incident("Payments failing")
    stack.wait_until(lambda: len(_received(sink, "kill")) >= 1500, "1,500 messages", 60)
    stack.stop_worker(sig=signal.SIGKILL)
    at_kill = len(_received(sink, "kill"))
    assert at_kill < 5000, "the fan-out finished before the kill; nothing was tested"

    stack.start_worker()
    time.sleep(LEASE + 0.5)
    _sweeping_until_all_arrive(stack, sink, "kill", 5000)
    time.sleep(1)  # anything sent twice would have arrived by now

    received = _received(sink, "kill")
    assert set(received) == {f"kill{i}@example.com" for i in range(5000)}
    twice = [who for who, n in received.items() if n > 1]
    # The messages in flight when the worker died, one per SMTP connection, may have
    # reached the server before the worker could record them; each is re-sent with the
    # same Message-ID (docs/design.md).
    assert len(twice) <= CONNECTIONS, twice
    for who in twice:
        ids = {m["Message-ID"] for m in sink.messages if m["X-Envelope-To"] == who}
        assert len(ids) == 1
    assert max(received.values()) <= 2


def _through_an_outage(
    stack: Stack, sink: SmtpSink, prefix: str, count: int, stop: Any, start: Any
) -> Counter[str]:
    """Fan out to `count` subscribers, stop a service a fifth of the way through, check
    that sending pauses, start it again, sweep until everyone has their message: how many
    each one received."""
    _subscribe(stack, count, prefix)
    if stack.worker is None:
        stack.start_worker()
    stack.open_incident(f"Outage {prefix}")
    stack.wait_until(lambda: len(_received(sink, prefix)) >= count // 5, "a fifth", 60)
    stop()
    try:
        time.sleep(2)  # the batch in hand may still go out; nothing more can be claimed
        paused = len(_received(sink, prefix))
        time.sleep(2)
        assert len(_received(sink, prefix)) == paused < count, "sent through the outage"
    finally:
        start()
    time.sleep(LEASE + 0.5)  # the worker reconnects; claims of the outage pass their lease
    _sweeping_until_all_arrive(stack, sink, prefix, count)
    time.sleep(1)  # anything sent twice would have arrived by now
    received = _received(sink, prefix)
    assert set(received) == {f"{prefix}{i}@example.com" for i in range(count)}
    return received


def test_fanout_pauses_while_redis_is_down_and_resumes_when_it_is_back(
    stack: Stack, sink: SmtpSink
) -> None:
    # Restarted empty: every queued task was lost with it, and the sweeper starts again.
    received = _through_an_outage(stack, sink, "redis", 2000, stack.redis.stop, stack.redis.start)
    assert max(received.values()) == 1  # no worker died: exactly once


def test_the_database_stopping_mid_fanout_repeats_nothing_and_loses_nothing(
    stack: Stack, sink: SmtpSink
) -> None:
    # SMTP does not need the database: the batch in hand is sent while PostgreSQL is down,
    # and its marks cannot be committed. The sent journal in Redis holds them, so once the
    # database is back the next claimer sends the rest and none of those again.
    def stop() -> None:
        # A message waits at the sink, unanswered, while the database goes: the batch in
        # hand is certainly mid-way, so its marks cannot be committed (it was a matter of
        # timing before, and a fast batch could end before the database did). The database
        # stops only once a message is held: closing the gate while the worker was between
        # batches let the outage catch its claim instead, with nothing sent to journal.
        sink.holding.clear()
        sink.gate.clear()
        try:
            assert sink.holding.wait(timeout=30), "no message reached the closed gate"
            stack.postgres.stop()
            stack.postgres.wait_until_down()
        finally:
            sink.gate.set()

    received = _through_an_outage(stack, sink, "pg", 5000, stop, stack.postgres.start)
    assert max(received.values()) == 1  # no worker died: exactly once
    # ... because the journal was read: the outage caught messages sent but not committed.
    # (In the whole log: the outage's connection errors come after it.)
    assert "claimed deliveries had already been sent by an earlier claim" in stack.log("worker")
