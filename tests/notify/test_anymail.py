"""Email through a provider's HTTP API with django-anymail: its Postmark backend talks to a
loopback server that answers as Postmark's /email endpoint does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, Subscriber, SubscriberChannel
from incidents.notify import fanout
from tests.factories import promised
from tests.notify.conftest import subscriber
from tests.notify.peers import HttpPeer

pytestmark = pytest.mark.django_db

INACTIVE = (
    "You tried to send to a recipient that has been marked as inactive.\n"
    "Found inactive addresses: {to}.\n"
    "Inactive recipients are ones that have generated a hard bounce or a spam complaint. "
)


def _postmark(peer: HttpPeer, request: dict[str, Any]) -> tuple[int, bytes]:
    request["json"] = payload = json.loads(request["body"])
    peer.requests.append(request)
    to = payload["To"]
    if peer.queue:
        status = peer.queue.pop(0)
        return status, json.dumps({"ErrorCode": 500, "Message": "Try later"}).encode()
    if to.startswith("bounced"):
        answer = {"ErrorCode": 406, "Message": INACTIVE.format(to=to)}
        return 422, json.dumps(answer).encode()
    answer = {
        "To": to,
        "SubmittedAt": "2026-11-23T22:00:00Z",
        "MessageID": f"pm-{len(peer.requests)}",
        "ErrorCode": 0,
        "Message": "OK",
    }
    return 200, json.dumps(answer).encode()


def _open(actor: Actor) -> None:
    lifecycle.incident_open(
        actor=actor, name="Checkout errors", body=promised("We are investigating failed payments.")
    )


@pytest.fixture
def postmark(settings) -> Iterator[HttpPeer]:  # type: ignore[no-untyped-def]
    peer = HttpPeer(answer=_postmark).start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token", "POSTMARK_API_URL": peer.url + "/"}
    yield peer
    peer.stop()


def test_email_goes_through_the_provider_api_with_its_headers_and_id(
    actor: Actor, postmark: HttpPeer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor,
            name="Checkout errors",
            body=promised("We are investigating failed payments."),
        )

    (request,) = postmark.requests
    assert request["path"] == "/email"
    assert request["headers"]["x-postmark-server-token"] == "pm-token"
    payload = request["json"]
    assert payload["To"] == "reader@example.com"
    assert payload["Subject"].endswith("Checkout errors: Investigating")
    headers = {h["Name"]: h["Value"] for h in payload["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<https://status.example.com/subscriptions/")
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.provider_id) == ("sent", "pm-1")


def test_a_recipient_the_provider_refuses_stops_and_an_api_error_is_retried(
    actor: Actor, postmark: HttpPeer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    subscriber(SubscriberChannel.EMAIL, "bounced@example.com")
    subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    postmark.queue = [500, 500]  # the provider fails both first attempts
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor,
            name="Checkout errors",
            body=promised("We are investigating failed payments."),
        )

    states = dict(Delivery.objects.values_list("subscriber__destination", "state"))
    # Both met the provider's 500 first: waiting to be retried, nothing lost.
    assert states == {"bounced@example.com": "failed", "reader@example.com": "failed"}
    assert all("Email provider" in e for e in Delivery.objects.values_list("last_error", flat=True))

    Delivery.objects.update(next_attempt_at=timezone.now())  # their backoff has passed
    fanout.fanout_run(channel="email", max_seconds=10)
    states = dict(Delivery.objects.values_list("subscriber__destination", "state"))
    assert states == {"bounced@example.com": "dead", "reader@example.com": "sent"}
    bounced = Subscriber.objects.get(destination="bounced@example.com")
    assert bounced.state == "stopped" and "refused the recipient" in bounced.stopped_reason
