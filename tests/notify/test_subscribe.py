"""Subscribing from the public site: double opt-in on every channel, the signed page to
change or leave, STOP/START/HELP from phones, and what is refused."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from incidents.models import Subscriber, SubscriberChannel, SubscriberState
from incidents.notify import links
from tests.factories import ComponentFactory
from tests.notify.conftest import TWILIO_TOKEN, subscriber
from tests.notify.peers import HttpPeer, SmtpSink, webhook_receiver

pytestmark = pytest.mark.django_db


def _subscribe(client: Client, channel: str, destination: str, **extra: Any) -> Any:
    data = {"channel": channel, "destination": destination, "scope": "all", **extra}
    return client.post("/subscribe", data, REMOTE_ADDR=extra.pop("ip", "203.0.113.9"))


def test_the_subscribe_page_is_a_cacheable_public_page(client: Client) -> None:
    ComponentFactory(name="API")
    answer = client.get("/subscribe")
    assert answer.status_code == 200
    assert b"API" in answer.content and b"csrfmiddlewaretoken" not in answer.content
    assert "max-age" in answer["Cache-Control"]


def test_email_double_opt_in_and_a_replayed_link_fails(
    client: Client, smtp: SmtpSink, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    api = ComponentFactory(name="API")
    with django_capture_on_commit_callbacks(execute=True):
        answer = _subscribe(
            client, "email", "Ada@EXAMPLE.com", scope="some", components=[api.public_id]
        )
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    pending = Subscriber.objects.get()
    assert (pending.destination, pending.state) == ("Ada@example.com", "pending")
    assert list(pending.components.all()) == [api] and not pending.all_components

    (mail,) = smtp.messages
    link = re.search(
        r"https://status\.example\.com(/subscriptions/confirm/\S+)", mail.get_payload()
    )
    assert link is not None
    assert client.get(link[1]).status_code == 200  # a scanner following the link confirms nothing
    assert Subscriber.objects.get().state == "pending"
    confirmed = client.post(link[1])
    assert confirmed.status_code == 302
    assert Subscriber.objects.get().state == "confirmed"
    # The redirect is to the subscriber's signed page.
    assert client.get(confirmed["Location"]).status_code == 200
    assert client.post(link[1]).status_code == 410  # replayed


def test_confirmation_is_not_sent_twice_within_the_cooldown(
    client: Client, smtp: SmtpSink, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(client, "email", "ada@example.com")
        again = _subscribe(client, "email", "ada@example.com")
    assert again.status_code == 200  # the same answer: the form reveals nothing
    assert len(smtp.messages) == 1


def test_sms_double_opt_in_with_a_code(
    client: Client, twilio: HttpPeer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        answer = _subscribe(client, "sms", "(415) 555-0100")
    assert answer.status_code == 302
    pending = Subscriber.objects.get()
    assert pending.destination == "+14155550100"
    code = re.search(r"code is (\d{6})", twilio.requests[0]["form"]["Body"])
    assert code is not None
    wrong = client.post(answer["Location"], {"code": "000000" if code[1] != "000000" else "111111"})
    assert wrong.status_code == 400
    right = client.post(answer["Location"], {"code": code[1]})
    assert right.status_code == 302
    assert Subscriber.objects.get().state == "confirmed"


def test_five_wrong_codes_void_the_code(client: Client, twilio: HttpPeer) -> None:
    _subscribe(client, "sms", "+14155550100")
    pending = Subscriber.objects.get()
    for _ in range(5):
        client.post(f"/subscriptions/verify/{pending.public_id}", {"code": "123456"})
    pending.refresh_from_db()
    assert pending.confirmation_hash == ""


# The receiver reads the secret from another thread: the row must be committed.
@pytest.mark.django_db(transaction=True)
def test_a_webhook_confirms_by_echoing_the_challenge(
    client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    receiver = webhook_receiver(_secret)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _subscribe(client, "webhook", f"{receiver.url}/hook")
    finally:
        receiver.stop()
    (ping,) = receiver.requests
    assert ping["verified"] and ping["json"]["type"] == "verification"
    assert Subscriber.objects.get().state == "confirmed"


# The receiver reads the secret from another thread: the row must be committed.
@pytest.mark.django_db(transaction=True)
def test_a_webhook_that_does_not_echo_stays_unconfirmed(
    client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    receiver = webhook_receiver(_secret, echo=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _subscribe(client, "webhook", f"{receiver.url}/hook")
    finally:
        receiver.stop()
    assert Subscriber.objects.get().state == "pending"


@pytest.mark.parametrize(
    ("channel", "destination", "error"),
    [
        ("email", "not-an-email", b"Enter a valid email address"),
        ("email", "ada@", b"Enter a valid email address"),
        ("sms", "12", b"not a valid phone number"),
        ("sms", "+33 6 12 34 56 78", b"cannot send text messages to numbers in FR"),
        ("webhook", "ftp://example.com/x", b"Enter a valid http(s) URL"),
        ("webhook", "javascript:alert(1)", b"Enter a valid http(s) URL"),
    ],
)
def test_bad_destinations_are_refused_clearly(
    client: Client, twilio: HttpPeer, channel: str, destination: str, error: bytes
) -> None:
    answer = _subscribe(client, channel, destination)
    assert answer.status_code == 400
    assert error in answer.content
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 around 127.0.0.1
        "http://[2002:7f00:1::1]/hook",  # 6to4 around 127.0.0.1
        "http://192.0.2.10/hook",  # documentation
    ],
)
def test_webhooks_to_private_addresses_are_refused_in_production(
    client: Client, settings: Any, url: str
) -> None:
    settings.CANDOR_WEBHOOK_ALLOW_PRIVATE = False  # the production default
    answer = _subscribe(client, "webhook", url)
    assert answer.status_code == 400
    assert b"not globally routable" in answer.content
    assert not Subscriber.objects.exists()


def test_subscribing_is_rate_limited_per_ip(client: Client, settings: Any, smtp: SmtpSink) -> None:
    settings.CANDOR_SUBSCRIBE_PER_IP = 3
    codes = [_subscribe(client, "email", f"u{n}@example.com").status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_sms_subscribing_is_rate_limited_per_country(
    client: Client, settings: Any, twilio: HttpPeer
) -> None:
    settings.CANDOR_SUBSCRIBE_PER_PREFIX = 2
    codes = [
        _subscribe(client, "sms", f"+1415555010{n}", ip=f"203.0.113.{n}").status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 429, 429]


def test_the_signed_page_changes_components_and_a_forged_link_does_nothing(
    client: Client,
) -> None:
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Web")
    reader = subscriber(SubscriberChannel.EMAIL, "ada@example.com")
    token = links.subscriber_token(reader.public_id)
    answer = client.post(
        f"/subscriptions/{token}", {"scope": "some", "components": [web.public_id]}
    )
    assert answer.status_code == 302
    reader.refresh_from_db()
    assert not reader.all_components and list(reader.components.all()) == [web]
    assert client.get(f"/subscriptions/{token}")["Cache-Control"] == "no-store"

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(f"/subscriptions/{forged}/unsubscribe").status_code == 404
    assert client.post(f"/subscriptions/{token}/unsubscribe").status_code == 200
    reader.refresh_from_db()
    assert reader.state == SubscriberState.UNSUBSCRIBED
    assert api  # subscribed to Web only


def _secret(path: str) -> str:
    """The receiver's copy of its secret, read in its own thread (and connection)."""
    try:
        return Subscriber.objects.get().webhook_secret
    finally:
        connection.close()


def _twilio_post(client: Client, path: str, params: dict[str, str], *, forge: bool = False) -> Any:
    url = f"https://status.example.com{path}"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return client.post(
        path, params, HTTP_X_TWILIO_SIGNATURE="x" + signature if forge else signature
    )


def test_stop_start_and_help_from_a_phone(client: Client, twilio: HttpPeer) -> None:
    phone = subscriber(SubscriberChannel.SMS, "+14155550100")
    path = "/notify/twilio/inbound"
    assert (
        _twilio_post(
            client, path, {"From": phone.destination, "Body": "STOP"}, forge=True
        ).status_code
        == 403
    )
    phone.refresh_from_db()
    assert phone.state == "confirmed"  # a forged STOP changes nothing

    assert (
        _twilio_post(client, path, {"From": phone.destination, "Body": " stop "}).status_code == 200
    )
    phone.refresh_from_db()
    assert phone.state == "stopped"
    _twilio_post(client, path, {"From": phone.destination, "Body": "START"})
    phone.refresh_from_db()
    assert phone.state == "confirmed"
    help_answer = _twilio_post(client, path, {"From": phone.destination, "Body": "HELP"})
    assert b"Reply STOP to opt out" in help_answer.content
    assert help_answer["Content-Type"] == "application/xml"


def test_the_unsubscribe_link_sits_beside_the_manage_link() -> None:
    # render.py builds one from the other to sign once per message; the URLs must agree.
    # Signed links carry a timestamp: sign both within one frozen second.
    with time_machine.travel(time.time(), tick=False):
        manage = links.manage_url("abc123def456")
        assert links.unsubscribe_url_from(manage) == links.unsubscribe_url("abc123def456")


def test_the_manage_link_is_what_reverse_makes_of_the_token() -> None:
    # links.py reverses the path once and puts each token in; every token must come out
    # as reverse() would write it (signing yields base64url and ':').
    for public_id in ("abc123def456", "0" * 12, "zzzzzzzzzzzz"):
        with time_machine.travel(time.time(), tick=False):
            token = links.subscriber_token(public_id)
            assert links.manage_url(public_id) == links.absolute(
                reverse("public:subscription", args=[token])
            )


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("+1 900 555 0100", "premium-rate"),
        ("+44 909 123 4567", "premium-rate"),
        ("+44 871 234 5678", "premium-rate"),
        ("+1 800 555 0100", "toll-free"),
        ("+1 888 555 0100", "toll-free"),
        ("+44 20 7946 0958", "landline"),
    ],
)
def test_only_numbers_that_receive_texts_may_subscribe(
    client: Client, twilio: HttpPeer, number: str, kind: str
) -> None:
    """SMS pumping: premium-rate and toll-free numbers inside allowed countries."""
    answer = _subscribe(client, "sms", number)
    assert answer.status_code == 400
    assert f"a {kind} number".encode() in answer.content
    assert not Subscriber.objects.exists()
    assert twilio.requests == []


@pytest.mark.parametrize("number", ["+44 7400 123456", "+1 415 555 0100"])
def test_mobile_numbers_may_subscribe(client: Client, twilio: HttpPeer, number: str) -> None:
    assert _subscribe(client, "sms", number).status_code == 302


def test_sms_subscribing_is_rate_limited_per_block_of_numbers(
    client: Client, settings: Any, twilio: HttpPeer
) -> None:
    """Pumping walks a range: +1 415 555 01xx is one block, +1 415 556 01xx another."""
    settings.CANDOR_SUBSCRIBE_PER_NUMBER_BLOCK = 2
    same = [
        _subscribe(client, "sms", f"+1415555010{n}", ip=f"203.0.113.{n}").status_code
        for n in range(3)
    ]
    other = _subscribe(client, "sms", "+14155560100", ip="203.0.113.50").status_code
    assert same == [302, 302, 429]
    assert other == 302
