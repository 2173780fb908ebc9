"""A subscriber's language: recorded at sign-up, and the interface words of every message
to them in it (the update's own words stay as written)."""

from __future__ import annotations

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Subscriber, SubscriberChannel
from tests.factories import promised
from tests.notify.conftest import subscriber
from tests.notify.peers import HttpPeer, SmtpSink

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
WORDS = "We are investigating failed payments."


def _subscribe(client: Client, path: str, address: str, accept_language: str = "") -> None:
    data = {"channel": "email", "destination": address, "scope": "all"}
    headers = {"accept-language": accept_language} if accept_language else {}
    answer = client.post(path, data, REMOTE_ADDR="203.0.113.9", headers=headers)
    assert answer.status_code == 200, answer.content[:300]


def test_the_language_is_recorded_at_sign_up(
    client: Client, smtp: SmtpSink, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(client, "/de/subscribe", "page@example.com")
        _subscribe(client, "/subscribe", "browser@example.com", "ja-JP,ja;q=0.9")
        _subscribe(client, "/subscribe", "plain@example.com")
        _subscribe(client, "/subscribe", "hostile@example.com", "x" * 100_000)
        client.cookies["django_language"] = "en"  # chose English on a German browser
        _subscribe(client, "/subscribe", "chose@example.com", "de")
    languages = dict(Subscriber.objects.values_list("destination", "language"))
    assert languages == {
        "page@example.com": "de",
        "browser@example.com": "ja",
        "plain@example.com": "en",
        "hostile@example.com": "en",
        "chose@example.com": "en",
    }
    # The confirmation itself is in that language.
    (german,) = smtp.to("page@example.com")
    assert (
        "Bestätigen: https://status.example.com/de/subscriptions/confirm/"
        in german.get_payload(decode=True).decode()
    )
    assert "Confirm: https://" in smtp.to("plain@example.com")[0].get_payload(decode=True).decode()


def test_a_german_and_an_english_subscriber_each_get_their_language(
    actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    subscriber(SubscriberChannel.EMAIL, "de@example.com", language="de")
    subscriber(SubscriberChannel.EMAIL, "en@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        incident = lifecycle.incident_open(
            actor=actor, name="Checkout errors", body=promised(WORDS)
        )
    (german,) = smtp.to("de@example.com")
    (english,) = smtp.to("en@example.com")
    assert german["Subject"] == "[Candor Demo] Checkout errors: Wird untersucht"
    assert english["Subject"] == "[Candor Demo] Checkout errors: Investigating"
    body = german.get_payload(decode=True).decode()
    assert WORDS in body  # the words as written: no translation without approval
    assert (
        f"Diese Störung verfolgen: https://status.example.com/de/incidents/{incident.public_id}"
        in body
    )
    assert "Sie erhalten diese Nachricht, weil Sie Candor Demo abonniert haben." in body
    english_body = english.get_payload(decode=True).decode()
    assert (
        f"Follow this incident: https://status.example.com/incidents/{incident.public_id}"
        in english_body
    )


def test_a_german_sms_subscriber_gets_german_interface_words(
    actor: Actor, twilio: HttpPeer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    subscriber(SubscriberChannel.SMS, "+14155550100", language="de")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(actor=actor, name="Checkout errors", body=promised(WORDS))
    (request,) = twilio.requests
    text = request["form"]["Body"]
    assert "Wird untersucht" in text and "Antworten Sie STOP" in text
