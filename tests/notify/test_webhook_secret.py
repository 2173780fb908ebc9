"""A webhook receiver can check every signature: the verification request hands it its
signing secret (once), it verifies deliveries with it the way docs/api.md shows, and the
signed manage link rotates it.

The receiver below knows nothing of Candor's code or database: it keeps what the
verification request gave it and verifies with the documented recipe."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

import pytest
import requests
from django.test import Client

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Subscriber
from incidents.notify import links
from tests.factories import promised
from tests.notify.peers import HttpPeer

pytestmark = pytest.mark.django_db(transaction=True)  # the receiver answers from its thread

TOLERANCE = 300  # seconds: the replay window docs/api.md gives


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """docs/api.md's verification example, word for word."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE:
        return False  # too old (or from the future): a replay
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


class Receiver:
    """Keeps the secret and manage link the verification request carries."""

    def __init__(self) -> None:
        self.secret = ""
        self.manage_url = ""
        self.accepted: list[dict[str, Any]] = []
        self.peer = HttpPeer(answer=self.answer).start()

    def answer(self, peer: HttpPeer, request: dict[str, Any]) -> tuple[int, bytes]:
        peer.requests.append(request)
        message = json.loads(request["body"])
        if message.get("type") == "verification":
            self.secret, self.manage_url = message["secret"], message["manage_url"]
            return 200, json.dumps({"challenge": message["challenge"]}).encode()
        if not verify(self.secret, request["body"], request["headers"]["x-candor-signature"]):
            return 401, b'{"error": "bad signature"}'
        self.accepted.append(message)
        return 200, b"{}"


@pytest.fixture
def receiver() -> Any:
    made = Receiver()
    yield made
    made.peer.stop()


def _subscribe(client: Client, url: str, capture: Any) -> None:
    with capture(execute=True):
        answer = client.post(
            "/subscribe",
            {"channel": "webhook", "destination": url, "scope": "all"},
            REMOTE_ADDR="203.0.113.9",
        )
    assert answer.status_code == 200


def _publish(actor: Actor, capture: Any, name: str) -> None:
    with capture(execute=True):
        lifecycle.incident_open(actor=actor, name=name, body=promised("Looking into it."))


def _subscriber_of(manage_url: str) -> str | None:
    return links.subscriber_from_token(manage_url.rsplit("/subscriptions/", 1)[1])


def test_the_receiver_verifies_a_delivery_with_the_secret_it_was_given_and_refuses_tampering(
    client: Client, receiver: Receiver, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(client, f"{receiver.peer.url}/hook", django_capture_on_commit_callbacks)
    hook = Subscriber.objects.get()
    assert hook.state == "confirmed"
    assert receiver.secret == hook.webhook_secret and len(receiver.secret) >= 32

    _publish(actor, django_capture_on_commit_callbacks, "Checkout errors")
    (delivered,) = receiver.accepted
    assert delivered["incident"]["name"] == "Checkout errors"
    # To rotate, from any delivery: a link to the same subscription (its signature carries
    # the second it was made, so the two links need not be the same string).
    assert _subscriber_of(delivered["manage_url"]) == _subscriber_of(receiver.manage_url)
    assert _subscriber_of(delivered["manage_url"]) == hook.public_id

    # The same request, replayed with one byte changed, an old timestamp, or another key.
    original = receiver.peer.requests[-1]
    header = original["headers"]["x-candor-signature"]
    tampered = original["body"].replace(b"Checkout", b"Checkoux")
    at = int(header.split(",")[0].removeprefix("t="))
    stale_mac = hmac.new(
        receiver.secret.encode(), f"{at - 3600}.".encode() + original["body"], hashlib.sha256
    ).hexdigest()
    for body, signature in [
        (tampered, header),
        (original["body"], f"t={at - 3600},v1={stale_mac}"),
        (original["body"], header.replace("v1=", "v1=0")),
    ]:
        answer = requests.post(
            f"{receiver.peer.url}/hook",
            data=body,
            headers={"X-Candor-Signature": signature, "Content-Type": "application/json"},
            timeout=5,
        )
        assert answer.status_code == 401
    assert len(receiver.accepted) == 1


def test_the_signed_manage_link_rotates_the_secret_and_shows_the_new_one_once(
    client: Client, receiver: Receiver, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(client, f"{receiver.peer.url}/hook", django_capture_on_commit_callbacks)
    old = receiver.secret
    path = receiver.manage_url.removeprefix("https://status.example.com")
    assert client.get(path).status_code == 200
    assert old not in client.get(path).content.decode()  # never shown again

    rotated = client.post(f"{path}/secret")
    assert rotated.status_code == 200 and rotated["Cache-Control"] == "no-store"
    shown = re.search(r'<code id="webhook-secret">([^<]+)</code>', rotated.content.decode())
    assert shown is not None and shown[1] != old
    assert Subscriber.objects.get().webhook_secret == shown[1]
    assert shown[1] not in client.get(path).content.decode()

    # Until the receiver takes the new secret, deliveries fail its check; then they pass.
    _publish(actor, django_capture_on_commit_callbacks, "First")
    assert receiver.accepted == []
    receiver.secret = shown[1]
    _publish(actor, django_capture_on_commit_callbacks, "Second")
    assert [m["incident"]["name"] for m in receiver.accepted] == ["Second"]


def test_a_forged_manage_link_rotates_nothing(
    client: Client, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(client, f"{receiver.peer.url}/hook", django_capture_on_commit_callbacks)
    path = receiver.manage_url.removeprefix("https://status.example.com")
    forged = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    assert client.post(f"{forged}/secret").status_code == 404
    assert Subscriber.objects.get().webhook_secret == receiver.secret
