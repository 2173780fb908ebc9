"""Providers that refuse, hang or go away: the fallback email provider, timeouts, a
webhook that is gone for good, and the shared rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, Subscriber, SubscriberChannel
from incidents.notify import fanout, limits
from tests.factories import promised
from tests.faults.postgres import free_port
from tests.notify.conftest import subscriber
from tests.notify.peers import SmtpSink, webhook_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def fallback(settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    settings.CANDOR_EMAIL_FALLBACK_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.CANDOR_EMAIL_FALLBACK_OPTIONS = {"host": "127.0.0.1", "port": sink.port, "timeout": 3}
    yield sink
    sink.stop()


def test_email_switches_to_the_fallback_provider_while_the_primary_circuit_is_open(
    actor: Actor, settings: Any, fallback: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    for n in range(10):
        subscriber(SubscriberChannel.EMAIL, f"r{n}@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(actor=actor, name="Outage", body=promised("Down."))

    assert limits.circuit_state("email") == "open"
    # Three refused by the primary wait for their retry; the other seven went the other way.
    assert len(fallback.messages) == 7
    assert Delivery.objects.filter(state="sent").count() == 7
    assert Delivery.objects.filter(state="failed").count() == 3
    assert all("SMTP" in d.last_error for d in Delivery.objects.filter(state="failed"))


def test_a_hanging_smtp_server_times_out_and_the_message_waits_for_its_retry(
    actor: Actor, settings: Any, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_TIMEOUT = 1
    smtp.delay = 1.5  # answers after the client gave up
    subscriber(SubscriberChannel.EMAIL, "r@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(actor=actor, name="Outage", body=promised("Down."))
    delivery = Delivery.objects.get()
    assert delivery.state == "failed" and delivery.attempts == 1
    assert "timed out" in delivery.last_error.lower()


def test_a_webhook_answering_410_is_stopped_for_good(
    actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    receiver = webhook_receiver(lambda path: "unused")
    receiver.queue = [410]
    try:
        hook = subscriber(SubscriberChannel.WEBHOOK, f"{receiver.url}/gone")
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.incident_open(actor=actor, name="Outage", body=promised("Down."))
    finally:
        receiver.stop()
    assert Delivery.objects.get().state == "dead"
    assert Subscriber.objects.get(pk=hook.pk).state == "stopped"


def test_a_failing_webhook_receiver_opens_only_its_own_circuit(
    actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    broken = webhook_receiver(lambda path: "unused")
    broken.queue = [503] * 10
    try:
        for n in range(5):
            subscriber(SubscriberChannel.WEBHOOK, f"{broken.url}/hook{n}")
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.incident_open(actor=actor, name="Outage", body=promised("Down."))
    finally:
        broken.stop()
    assert limits.circuit_state("webhook:127.0.0.1") == "open"
    assert limits.circuit_state("webhook:example.org") == "closed"
    # Three reached the receiver; the other two were held back by the open circuit.
    assert len(broken.requests) == 3
    assert Delivery.objects.filter(state="failed").count() == 5


def test_the_rate_limit_is_a_bucket_shared_by_every_worker(settings: Any) -> None:
    settings.CANDOR_NOTIFY_RATE = {"email": 20, "sms": 1, "webhook": 1}
    assert limits.tokens_take("email", 15) == 15
    assert limits.tokens_take("email", 15) == 5  # one second's worth, at most
    assert limits.tokens_take("email", 15) == 0
    assert fanout.backoff(1) <= settings.CANDOR_NOTIFY_BACKOFF
    assert fanout.backoff(30) <= settings.CANDOR_NOTIFY_BACKOFF_MAX


def test_texts_wait_untouched_while_twilio_is_not_configured(actor: Actor, settings: Any) -> None:
    settings.CANDOR_SMS_ENABLED = False
    subscriber(SubscriberChannel.SMS, "+14155550100")  # imported, say, before Twilio was set up
    lifecycle.incident_open(actor=actor, name="Outage", body=promised("Down."))
    assert fanout.fanout_run(channel="sms").stopped_by == "disabled"
    assert Delivery.objects.get().state == "pending"
