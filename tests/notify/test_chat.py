"""Slack, Microsoft Teams, Google Chat and Discord subscribers, each against a local
receiver that answers as the provider does (chat_peers.py): subscribe, confirm in the
chat, fan-out, exactly one valid message each; a 429 storm that delays but loses
nothing; a gone webhook that stops only its subscription, with the reason shown; an
outage that keeps every subscription."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import ComponentStatus, Delivery, Incident, Subscriber, SubscriberState
from incidents.notify import fanout
from tests.factories import ComponentFactory
from tests.notify.chat_peers import PATHS, PROTOCOLS, ChatReceiver
from tests.notify.conftest import subscriber

pytestmark = pytest.mark.django_db

CHATS = list(PROTOCOLS)


@pytest.fixture
def receivers(settings: Any) -> Iterator[dict[str, ChatReceiver]]:
    settings.CANDOR_CHAT_EXTRA_HOSTS = ["127.0.0.1"]  # the receivers live on loopback
    running = {name: ChatReceiver(protocol).start() for name, protocol in PROTOCOLS.items()}
    yield running
    for receiver in running.values():
        receiver.stop()


def _approved_words() -> str:
    """Words of the default approved template, with the next-update promise the
    production policy asks for."""
    now = timezone.now()
    return (
        "We are investigating reports of problems with some of our services since "
        f"{now:%H:%M} UTC. Next update by {now + timedelta(minutes=10):%H:%M} UTC."
    )


def _open(actor: Actor, capture: Any, *, name: str = "Checkout errors", body: str = "") -> Incident:
    with capture(execute=True):
        return lifecycle.incident_open(
            actor=actor,
            name=name,
            body=body or _approved_words(),
        )


def _links(payload: Any, marker: str) -> list[str]:
    """Every string in a payload that contains `marker` (links, wherever a card puts them)."""
    if isinstance(payload, dict):
        return [link for value in payload.values() for link in _links(value, marker)]
    if isinstance(payload, list):
        return [link for value in payload for link in _links(value, marker)]
    return [payload] if isinstance(payload, str) and marker in payload else []


def _subscribe(client: Client, channel: str, url: str) -> Any:
    return client.post(
        "/subscribe",
        {"channel": channel, "destination": url, "scope": "all"},
        REMOTE_ADDR="203.0.113.9",
    )


@pytest.mark.wording
@pytest.mark.parametrize("chat", CHATS)
def test_a_chat_is_confirmed_in_the_chat_and_then_gets_each_update_once(
    client: Client,
    actor: Actor,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    receiver = receivers[chat]
    path = PATHS[chat].format(n=1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _subscribe(client, chat, receiver.url(path))
    assert answer.status_code == 200, answer.content
    assert b"confirmation link to the chat channel" in answer.content
    pending = Subscriber.objects.get(channel=chat)
    assert pending.state == SubscriberState.PENDING
    (confirmation,) = receiver.received[path.partition("?")[0]]

    # Nothing but the confirmation is posted until someone in the chat follows it.
    _open(actor, django_capture_on_commit_callbacks, name="Before confirming")
    assert len(receiver.requests) == 1 and not Delivery.objects.filter(subscriber=pending)

    (link,) = {u for u in _links(confirmation, "/subscriptions/confirm/") if u.startswith("https")}
    assert client.post(link.removeprefix("https://status.example.com")).status_code == 302
    assert Subscriber.objects.get(pk=pending.pk).state == SubscriberState.CONFIRMED

    database = ComponentFactory(name="Database & <cache>")
    with django_capture_on_commit_callbacks(execute=True):
        incident = lifecycle.incident_open(
            actor=actor,
            name="Checkout errors",
            body=_approved_words(),
            components={database: ComponentStatus.MAJOR_OUTAGE},
        )
    assert receiver.invalid == []
    confirmation_again, update = receiver.received[path.partition("?")[0]]
    assert confirmation_again is confirmation
    assert Delivery.objects.get(subscriber=pending).state == "sent"
    words = str(update)
    assert "Checkout errors" in words and "We are investigating reports of problems" in words
    assert "Database" in words  # the affected component
    assert _links(update, f"/incidents/{incident.public_id}")  # the page
    assert _links(update, "/subscriptions/")  # the way out
    if chat == "google_chat":  # one thread per incident
        (request,) = [r for r in receiver.requests if "threadKey" in r["path"]]
        assert f"threadKey=candor-incident-{incident.public_id}" in request["path"]


@pytest.mark.parametrize("chat", CHATS)
def test_a_429_storm_delays_messages_past_retry_after_and_loses_none(
    actor: Actor,
    settings: Any,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    # Every 429 counts against the circuit, too; here the circuit is kept out of the way
    # to show Retry-After alone (test_an_outage... shows the circuit).
    settings.CANDOR_NOTIFY_CIRCUIT_FAILURES = 100
    receiver = receivers[chat]
    paths = [PATHS[chat].format(n=n) for n in range(5)]
    subscribers = [subscriber(chat, receiver.url(p)) for p in paths]
    storm = PROTOCOLS[chat].throttled(120)
    receiver.script["*"] = [storm] * 8  # the first round of five, and three of the next

    _open(actor, django_capture_on_commit_callbacks)
    first = timezone.now()
    assert Delivery.objects.filter(state="failed").count() == 5
    for delivery in Delivery.objects.all():
        assert delivery.next_attempt_at >= first + timedelta(seconds=119)
        assert "rate limit (429, retry after 120 s)" in delivery.last_error
    assert fanout.fanout_run(channel=chat).sent == 0  # none is due before its time

    for minutes in (3, 6, 60, 180):  # later retries, each past the one before's wait
        with time_machine.travel(first + timedelta(minutes=minutes)):
            fanout.fanout_run(channel=chat)
    assert Delivery.objects.filter(state="sent").count() == 5
    assert all(len(receiver.received[p.partition("?")[0]]) == 1 for p in paths)
    assert len(receiver.requests) == 8 + 5
    assert {s.state for s in Subscriber.objects.filter(pk__in=[s.pk for s in subscribers])} == {
        SubscriberState.CONFIRMED
    }


@pytest.mark.parametrize("chat", CHATS)
def test_a_gone_webhook_stops_only_its_own_subscription_and_says_why(
    client: Client,
    actor: Actor,
    admin: Any,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    receiver = receivers[chat]
    paths = [PATHS[chat].format(n=n) for n in range(3)]
    kept, gone, also_kept = (subscriber(chat, receiver.url(p)) for p in paths)
    receiver.gone.add(paths[1].partition("?")[0])

    _open(actor, django_capture_on_commit_callbacks)

    assert Subscriber.objects.get(pk=gone.pk).state == SubscriberState.STOPPED
    reason = Subscriber.objects.get(pk=gone.pk).stopped_reason
    assert "gone" in reason
    for other in (kept, also_kept):
        assert Subscriber.objects.get(pk=other.pk).state == SubscriberState.CONFIRMED
    assert Delivery.objects.filter(state="sent").count() == 2
    assert Delivery.objects.get(subscriber=gone).state == "dead"

    client.force_login(admin)
    page = client.get("/console/subscribers/").content.decode()
    assert reason in page.replace("&#x27;", "'")
    assert PROTOCOLS[chat] and receivers[chat].peer is not None


@pytest.mark.parametrize("chat", CHATS)
def test_an_outage_keeps_every_subscription_and_opens_the_providers_circuit(
    actor: Actor,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    from incidents.notify import limits

    receiver = receivers[chat]
    for n in range(5):
        subscriber(chat, receiver.url(PATHS[chat].format(n=n)))
    receiver.script["*"] = [PROTOCOLS[chat].down] * 10

    _open(actor, django_capture_on_commit_callbacks)

    # Three reached the provider (CANDOR_NOTIFY_CIRCUIT_FAILURES); its circuit held back
    # the rest. Every message waits for its retry; nobody is unsubscribed.
    assert len(receiver.requests) == 3
    assert limits.circuit_state(f"{chat}:127.0.0.1") == "open"
    assert Delivery.objects.filter(state="failed").count() == 5
    assert set(Subscriber.objects.values_list("state", flat=True)) == {SubscriberState.CONFIRMED}
