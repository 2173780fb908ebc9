"""The sent journal: what a provider accepted is remembered in Redis at once and committed
to PostgreSQL per batch; whoever claims a delivery again never re-sends what it holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, DeliveryState, SubscriberChannel
from incidents.notify import fanout, journal, limits, outbox
from incidents.notify.channels import message_render
from incidents.notify.transports.email import EmailSender
from tests.factories import promised
from tests.faults.postgres import free_port
from tests.notify.conftest import subscriber
from tests.notify.peers import SmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(actor: Actor) -> Iterator[list[Delivery]]:
    """Three email deliveries of one update, claimed by a worker (this test)."""
    for n in range(3):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    lifecycle.incident_open(
        actor=actor, name="Checkout errors", body=promised("We are investigating.")
    )
    batch = fanout.deliveries_claim(channel="email", limit=10)
    assert len(batch) == 3
    yield batch
    client = limits.redis_client()
    if client is not None:
        client.delete(*[journal._key(d.pk) for d in batch])


def _state(delivery: Delivery) -> tuple[str, str]:
    delivery.refresh_from_db()
    return delivery.state, delivery.provider_id


def test_marks_reach_the_database_with_the_batch_and_leave_redis(
    claimed: list[Delivery],
) -> None:
    sent = journal.SentJournal()
    sent.record(claimed[0], "<one@status.example.com>")
    assert _state(claimed[0]) == ("sending", "")  # in Redis only, until the batch ends
    assert limits.redis_client().get(journal._key(claimed[0].pk)) is not None  # type: ignore[union-attr]
    assert sent.flush() == 1
    assert _state(claimed[0]) == ("sent", "<one@status.example.com>")
    assert limits.redis_client().get(journal._key(claimed[0].pk)) is None  # type: ignore[union-attr]
    assert Delivery.objects.get(pk=claimed[0].pk).attempts == 1


def test_what_a_dead_worker_sent_is_not_sent_again(
    claimed: list[Delivery], smtp: SmtpSink, settings
) -> None:  # type: ignore[no-untyped-def]
    # The worker sent the first message, journalled it, and was killed before its batch
    # was committed: all three deliveries are still `sending`.
    journal.SentJournal().record(claimed[0], "<first@status.example.com>")
    later = timezone.now() + timedelta(seconds=settings.CANDOR_NOTIFY_LEASE + 1)
    assert outbox.deliveries_sweep(now=later)[0] == 3
    Delivery.objects.update(next_attempt_at=timezone.now())

    result = fanout.fanout_run(channel="email", max_seconds=10)

    assert result.sent == 2 and result.skipped == 1
    # Everyone but the reader of the journalled delivery (claims come in no set order).
    others = sorted(d.subscriber.destination for d in claimed[1:])
    assert len(others) == 2 and claimed[0].subscriber.destination not in others
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == others
    assert _state(claimed[0]) == ("sent", "<first@status.example.com>")
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_worker_past_its_lease_cannot_mark_what_another_now_holds(
    claimed: list[Delivery],
) -> None:
    sent = journal.SentJournal()
    sent.record(claimed[0], "<late@status.example.com>")
    # The lease ran out, the sweeper re-queued it, another worker claimed it.
    Delivery.objects.filter(pk=claimed[0].pk).update(claimed_at=timezone.now())
    assert sent.flush() == 0
    assert _state(claimed[0]) == ("sending", "")
    # The journal keeps the mark, so the new holder skips the message.
    assert limits.redis_client().get(journal._key(claimed[0].pk)) is not None  # type: ignore[union-attr]


@pytest.mark.embedded
def test_without_redis_each_message_is_marked_in_the_database_at_once(
    claimed: list[Delivery], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "redis_client", lambda: None)  # the embedded setup
    sent = journal.SentJournal()
    assert sent.already_sent(claimed) == set()
    sent.record(claimed[1], "<two@status.example.com>")
    assert _state(claimed[1]) == ("sent", "<two@status.example.com>")


def test_when_redis_fails_mid_batch_the_rest_is_marked_in_the_database_at_once(
    claimed: list[Delivery],
) -> None:
    sent = journal.SentJournal()
    sent.record(claimed[0], "<a@status.example.com>")
    sent.settle()  # Redis holds it
    # Redis goes away.
    gone = free_port()
    assert sent.conn is not None
    sent.conn.disconnect()
    sent.conn.port = gone  # type: ignore[attr-defined]
    sent.client = redis.Redis(port=gone, socket_connect_timeout=0.2)
    sent.record(claimed[1], "<b@status.example.com>")
    # Both are committed now: the one Redis held, and the one it could not take.
    assert _state(claimed[0])[0] == "sent" and _state(claimed[1])[0] == "sent"
    # The next batch asks Redis again, and refuses to send while it cannot tell.
    with pytest.raises(limits.StateUnavailable):
        sent.already_sent(claimed[2:])
    assert sent.marks == []
    assert _state(claimed[2])[0] == DeliveryState.SENDING


@pytest.mark.embedded
def test_each_email_waits_for_the_previous_ones_journal_entry_before_its_data(
    claimed: list[Delivery], smtp: SmtpSink
) -> None:
    # `ready` runs after the envelope and before DATA: when it is called for a message,
    # every earlier message has arrived and this one has not.
    arrived_when_ready: list[int] = []
    sender = EmailSender(ready=lambda: arrived_when_ready.append(len(smtp.messages)))
    try:
        for delivery in claimed:
            rendered = message_render(
                channel="email", update=delivery.update, subscriber=delivery.subscriber
            )
            sender.send(delivery, rendered)
    finally:
        sender.close()
    assert arrived_when_ready == [0, 1, 2]
    assert len(smtp.messages) == 3
