"""Where signed notices show: the email's header and link, the SMS code (and what it costs
in segments), the subscriber's phrase, the Verify page and the published keys."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from incidents import signing
from incidents.models import Incident, Subscriber, SubscriberState
from incidents.notify import links, subscriptions
from incidents.notify.channels import message_render
from incidents.notify.sms_segments import sms_segments
from incidents.notify.transports.email import headers_for

pytestmark = pytest.mark.embedded


def _subscriber(channel: str, destination: str, **fields: Any) -> Subscriber:
    now = timezone.now()
    return Subscriber.objects.create(
        channel=channel,
        destination=destination,
        state=SubscriberState.CONFIRMED,
        created_at=now,
        confirmed_at=now,
        **fields,
    )


def test_an_email_carries_the_signature_header_and_a_verify_link(payments: Incident) -> None:
    update = payments.updates.get()
    rendered = message_render(
        channel="email", update=update, subscriber=_subscriber("email", "a@example.test")
    )
    notice = signing.update_signed(update)
    assert notice is not None
    assert f"Verify this notice: http://localhost:8000/verify?code={notice.code}" in rendered.text
    header = headers_for("0" * 24, rendered)["Candor-Signature"]
    assert header == f"v=1; a=ed25519; k={notice.key_id}; c={notice.code}; s={notice.signature}"
    signature = base64.b64decode(header.rpartition("s=")[2])
    assert signing.verify(notice.payload.encode(), signature).genuine
    assert signing.verify_message(rendered.text, received_at=timezone.now()).genuine


def test_an_sms_carries_the_code_within_two_segments(payments: Incident) -> None:
    update = payments.updates.get()
    rendered_to = _subscriber("sms", "+14155550100")
    rendered = message_render(channel="sms", update=update, subscriber=rendered_to)
    notice = signing.update_signed(update)
    assert notice is not None and f"Verify code {notice.code}." in rendered.text
    segments = sms_segments(rendered.text)
    assert (segments.encoding, segments.count) == ("GSM-7", 2), rendered.text
    assert signing.verify_message(rendered.text).genuine
    # Long words are cut to fit (SMS_LIMIT): the code stays, still two segments.
    update.body = "x " * 300
    update.save()
    rendered = message_render(channel="sms", update=update, subscriber=rendered_to)
    long_notice = signing.update_signed(update)
    assert long_notice is not None and f"Verify code {long_notice.code}." in rendered.text
    assert sms_segments(rendered.text).count == 2


def test_the_personal_phrase_is_shown_in_every_message_to_them(payments: Incident) -> None:
    update = payments.updates.get()
    email = _subscriber("email", "b@example.test", personal_phrase="blue heron at dawn")
    sms = _subscriber("sms", "+14155550101", personal_phrase="blue héron")
    other = _subscriber("email", "c@example.test")
    text = message_render(channel="email", update=update, subscriber=email).text
    assert text.startswith("Your phrase: blue heron at dawn\n")
    assert message_render(channel="sms", update=update, subscriber=sms).text.startswith(
        "Your phrase: blue heron\n"
    )
    assert (
        "Your phrase" not in message_render(channel="email", update=update, subscriber=other).text
    )


@pytest.mark.parametrize("phrase", ["a\x00b", "bidi \u202e txt", "x" * 41, "line\nbreak"])
def test_a_hostile_phrase_is_refused_on_the_manage_page(
    phrase: str, client: Client, db: None
) -> None:
    subscriber = _subscriber("email", "d@example.test")
    url = links.manage_url(subscriber.public_id).removeprefix("http://localhost:8000")
    response = client.post(url, {"form": "phrase", "phrase": phrase})
    assert response.status_code == 400
    assert b"Your phrase:" in response.content
    subscriber.refresh_from_db()
    assert subscriber.personal_phrase == ""
    response = client.post(url, {"form": "phrase", "phrase": "  blue   heron "})
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.personal_phrase == "blue heron"
    assert b'value="blue heron"' in client.get(url).content


def test_a_phrase_with_a_lone_surrogate_is_refused(db: None) -> None:
    # No HTTP client can send one (UTF-8 cannot carry it): the service refuses it anyway.
    subscriber = _subscriber("email", "e@example.test")
    with pytest.raises(ValidationError):
        subscriptions.subscriber_phrase_set(subscriber=subscriber, phrase="a\ud800")


def test_the_verify_page_answers_on_the_live_app(payments: Incident, client: Client) -> None:
    notice = signing.update_signed(payments.updates.get())
    assert notice is not None
    page = client.get("/verify", {"code": notice.code})
    assert page.status_code == 200
    assert b"Genuine: this notice is ours" in page.content
    assert payments.name.encode() in page.content
    page = client.get("/verify", {"message": "Resolved! Verify code ABCD-EFGH"})
    assert b"Not verified" in page.content and b"not a notice of ours" in page.content
    assert client.get("/verify", {"message": "a\x00b"}).status_code == 400
    assert client.get("/verify", {"message": "x" * 20_001}).status_code == 400
    assert client.post("/verify", {"message": notice.code}).status_code == 405


def test_the_keys_and_the_index_are_published_for_anyone(
    payments: Incident, client: Client
) -> None:
    notice = signing.update_signed(payments.updates.get())
    assert notice is not None
    keys = client.get("/.well-known/candor-keys.json")
    assert keys["Access-Control-Allow-Origin"] == "*"
    listed = keys.json()["keys"]
    assert [k["id"] for k in listed] == [notice.key_id]
    assert listed[0]["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    index = client.get("/verify/notices.json")
    assert index["Access-Control-Allow-Origin"] == "*"
    assert index.json() == {
        "v": 2,
        "count": 1,
        "prefix_length": 2,
        "shard": "notices/{prefix}.json",
        "shards": {notice.code[:2]: 1},
    }
    shard = client.get(f"/verify/notices/{notice.code[:2]}.json").json()["notices"]
    assert shard == [
        {"code": notice.code, "payload": notice.payload, "signature": notice.signature}
    ]
    # Any other shard of the alphabet is there, empty; anything else is no shard.
    other = "00" if notice.code[:2] != "00" else "11"
    assert client.get(f"/verify/notices/{other}.json").json()["notices"] == []
    for hostile in ("IL", "ab", "ABC", "A", "%00A", "A\u202e"):
        assert client.get(f"/verify/notices/{hostile}.json").status_code == 404
