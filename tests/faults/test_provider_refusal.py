"""Fault test: the relay refuses every recipient in the middle of a 2,000-recipient fan-out.

A real SMTP server (aiosmtpd) takes the first messages, then answers `554` to every RCPT
(a blocked sending IP) for a while, then `451` (try later) for a while, then recovers.
The fan-out runs as the worker runs it (`fanout_run`, real PostgreSQL and Redis), started
again every quarter second while work is due: far more often than the beat's 15 s sweep,
so the attempt rate measured at the relay is an upper bound. Afterwards: nobody lost,
nobody sent twice, no subscription stopped, the circuit opened, and the relay heard only a
few attempts a second while it refused (issue 13, findings 1 and 10)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, Subscriber, SubscriberChannel, SubscriberState
from incidents.notify import fanout
from tests.factories import promised
from tests.notify.peers import SmtpSink

pytestmark = pytest.mark.django_db

COUNT = 2000
REFUSE_AFTER = 400  # messages delivered before the relay starts refusing
PHASE = 4.0  # seconds of 554, then as many of 451


@pytest.fixture
def relay(settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 3
    settings.CANDOR_CANONICAL_URL = settings.CANDOR_APP_URL = "https://status.example.com"
    settings.CANDOR_NOTIFY_CIRCUIT_FAILURES = 5  # the default
    settings.CANDOR_NOTIFY_CIRCUIT_OPEN = 1  # production's 60 s, scaled down
    settings.CANDOR_NOTIFY_BACKOFF = 1
    settings.CANDOR_NOTIFY_BACKOFF_MAX = 4
    yield sink
    sink.stop()


class Refusals:
    """The relay's mood: takes mail, then 554 to everyone, then 451, then takes it again."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.started: float | None = None

    def __call__(self, address: str) -> str:
        if self.started is None:
            if len(self.sink.messages) < REFUSE_AFTER:
                return ""
            self.started = time.monotonic()
        elapsed = time.monotonic() - self.started
        if elapsed < PHASE:
            return "554 Service unavailable; client host blocked"
        if elapsed < 2 * PHASE:
            return "451 Try again later"
        return ""


def test_a_relay_refusing_everyone_loses_nobody_stops_nobody_and_is_not_hammered(
    actor: Actor, relay: SmtpSink
) -> None:
    now = timezone.now()
    Subscriber.objects.bulk_create(
        [
            Subscriber(channel=SubscriberChannel.EMAIL, state=SubscriberState.CONFIRMED,
                       destination=f"reader{n}@example.com", created_at=now, confirmed_at=now)
            for n in range(COUNT)
        ]
    )  # fmt: skip
    lifecycle.incident_open(actor=actor, name="Checkout errors", body=promised("Investigating."))
    assert Delivery.objects.count() == COUNT
    refusals = Refusals(relay)
    relay.refuse_rcpt = refusals

    circuit_seen = False
    began = time.monotonic()
    deadline = began + 50
    while Delivery.objects.filter(state__in=["pending", "failed", "sending"]).exists():
        assert time.monotonic() < deadline, Counter(Delivery.objects.values_list("state"))
        result = fanout.fanout_run(channel="email", max_seconds=5)
        circuit_seen |= result.stopped_by == "circuit"
        if result.stopped_by == "circuit" or not result.more:
            time.sleep(0.25)  # what is due later (circuit, backoff) waits for the next start

    assert refusals.started is not None, "the fan-out ended before the relay refused"
    refusing = (refusals.started, refusals.started + 2 * PHASE)
    attempts = [t for t, _ in relay.rcpts if refusing[0] <= t < refusing[1]]
    rate = len(attempts) / (2 * PHASE)
    received = Counter(m["X-Envelope-To"] for m in relay.messages)
    print(
        f"\nrelay refused for {2 * PHASE:.0f} s (554, then 451): {len(attempts)} attempts,"
        f" {rate:.2f}/s; {len(received)} recipients received {sum(received.values())}"
        f" messages; {len(relay.rcpts)} RCPTs in all; refusing from"
        f" {refusals.started - began:.1f} s, all sent at {time.monotonic() - began:.1f} s"
    )
    assert Counter(Delivery.objects.values_list("state", flat=True)) == {"sent": COUNT}
    assert set(received) == {f"reader{n}@example.com" for n in range(COUNT)}  # 0 lost
    assert max(received.values()) == 1  # 0 duplicated
    assert not Subscriber.objects.filter(state=SubscriberState.STOPPED).exists()
    assert circuit_seen
    assert rate < 3, f"{rate:.1f} attempts/s at a relay refusing everyone"
