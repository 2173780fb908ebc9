"""Following one incident from its page: double opt-in by email, its updates only, one
message when the address also subscribes page wide, and unsubscribed once its resolution
has gone out. Against a real SMTP server on loopback."""

from __future__ import annotations

import re
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, DeliveryState, Incident, Subscriber, SubscriberChannel
from incidents.notify import follow
from incidents.notify.subscriptions import subscriber_subscribe
from incidents.wording.drafts import draft_update
from tests.notify.conftest import subscriber
from tests.notify.peers import SmtpSink

pytestmark = [pytest.mark.django_db, pytest.mark.wording, pytest.mark.embedded]

SYSTEM = Actor.system("test")


def _words(incident: Incident, phase: str) -> str:
    return draft_update(incident, phase=phase, now=timezone.now())


def _follow(client: Client, incident: Incident, email: str, ip: str = "198.51.100.7") -> Any:
    return client.post(f"/incidents/{incident.public_id}/follow", {"email": email}, REMOTE_ADDR=ip)


def _confirmed_follower(
    client: Client, smtp: SmtpSink, incident: Incident, email: str, capture: Any
) -> Subscriber:
    with capture(execute=True):
        answer = _follow(client, incident, email)
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    link = re.search(
        r"https://status\.example\.com(/subscriptions/confirm/\S+)",
        smtp.to(email)[-1].get_payload(),
    )
    assert link is not None
    assert client.post(link[1]).status_code == 302
    return Subscriber.objects.get(destination=email, incident=incident)


def test_the_incident_page_offers_to_follow_it(client: Client, payments: Incident) -> None:
    # A link (the static copy equals the live page and cannot take a POST) to the form.
    follow = f"/incidents/{payments.public_id}/follow"
    page = client.get(f"/incidents/{payments.public_id}")
    assert f'href="https://status.example.com{follow}"'.encode() in page.content
    form = client.get(follow)
    assert form.status_code == 200 and form["Cache-Control"] == "no-store"
    assert f'action="{follow}"'.encode() in form.content
    assert client.get("/incidents/nosuchone/follow").status_code == 404


def test_a_resolved_incident_has_nothing_to_follow(client: Client, payments: Incident) -> None:
    lifecycle.incident_resolve(actor=SYSTEM, incident=payments, body=_words(payments, "resolved"))
    page = client.get(f"/incidents/{payments.public_id}/follow")
    assert page.status_code == 200 and b"is resolved" in page.content
    assert b"<form" not in page.content


def test_a_follower_gets_that_incidents_updates_only_and_leaves_when_it_is_resolved(
    client: Client, smtp: SmtpSink, payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    follower = _confirmed_follower(client, smtp, payments, "ada@example.com", capture)
    assert (follower.state, follower.incident) == ("confirmed", payments)
    other = lifecycle.incident_open(
        actor=SYSTEM, name="Search", body=payments.updates.get().body.replace("Payments", "Search")
    )

    with capture(execute=True):
        lifecycle.update_post(
            actor=SYSTEM, incident=payments, body=_words(payments, "identified"),
            status="identified",
        )  # fmt: skip
        lifecycle.update_post(
            actor=SYSTEM, incident=other, body=_words(other, "identified"), status="identified"
        )
    mails = smtp.to("ada@example.com")
    assert len(mails) == 2  # the confirmation, then Payments' update; nothing about Search
    assert "Payments" in mails[1]["Subject"]

    # The sweep keeps a follower whose resolution has not gone out yet.
    lifecycle.incident_resolve(actor=SYSTEM, incident=payments, body=_words(payments, "resolved"))
    resolution = Delivery.objects.get(subscriber=follower, incident_update__status="resolved")
    assert resolution.state == DeliveryState.PENDING
    assert follow.followers_release() == 0
    # Once it is out, the follow ends by itself.
    Delivery.objects.filter(pk=resolution.pk).update(state=DeliveryState.SENT)
    assert follow.followers_release() == 1
    follower.refresh_from_db()
    assert (follower.state, follower.stopped_reason) == ("unsubscribed", follow.RELEASED)


def test_the_resolution_reaches_the_follower_before_the_follow_ends(
    client: Client, smtp: SmtpSink, payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    _confirmed_follower(client, smtp, payments, "ada@example.com", capture)
    with capture(execute=True):
        lifecycle.incident_resolve(
            actor=SYSTEM, incident=payments, body=_words(payments, "resolved")
        )
    assert follow.followers_release() == 1
    assert "Resolved" in smtp.to("ada@example.com")[-1]["Subject"]


def test_an_address_also_subscribed_page_wide_gets_one_message(
    client: Client, smtp: SmtpSink, payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    subscriber(SubscriberChannel.EMAIL, "ada@example.com")
    _confirmed_follower(client, smtp, payments, "ada@example.com", capture)
    assert Subscriber.objects.filter(destination="ada@example.com").count() == 2
    with capture(execute=True):
        update = lifecycle.update_post(
            actor=SYSTEM, incident=payments, body=_words(payments, "identified"),
            status="identified",
        )  # fmt: skip
    assert Delivery.objects.filter(incident_update=update).count() == 1
    assert len(smtp.to("ada@example.com")) == 2  # the confirmation and one update


def test_a_resolved_incident_cannot_be_followed_and_pending_follows_end(
    client: Client, smtp: SmtpSink, payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _follow(client, payments, "late@example.com")
    lifecycle.incident_resolve(actor=SYSTEM, incident=payments, body=_words(payments, "resolved"))
    answer = _follow(client, payments, "later@example.com")
    assert answer.status_code == 400
    assert b"resolved" in answer.content
    assert follow.followers_release(now=timezone.now() + timedelta(seconds=1)) == 1
    assert Subscriber.objects.get(destination="late@example.com").state == "unsubscribed"


def test_following_is_rate_limited_like_subscribing(
    client: Client, settings: Any, smtp: SmtpSink, payments: Incident
) -> None:
    settings.CANDOR_SUBSCRIBE_PER_IP = 2
    codes = [_follow(client, payments, f"u{n}@example.com").status_code for n in range(4)]
    assert codes == [200, 200, 429, 429]


@pytest.mark.parametrize("email", ["a\u202e@example.com", "x" * 600, "not an address"])
def test_a_hostile_address_is_refused_at_the_form(
    client: Client, payments: Incident, email: str
) -> None:
    assert _follow(client, payments, email).status_code == 400
    assert not Subscriber.objects.exists()


def test_an_unknown_incident_is_not_found(client: Client, db: None) -> None:
    assert client.post("/incidents/nope/follow", {"email": "a@example.com"}).status_code == 404


def _subject(mail: Message) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def _text(mail: Message) -> str:
    return bytes(mail.get_payload(decode=True)).decode(mail.get_content_charset() or "utf-8")


def test_the_confirmation_names_the_incident_followed(
    client: Client, smtp: SmtpSink, payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert _follow(client, payments, "ada@example.com").status_code == 200
    [mail] = smtp.to("ada@example.com")
    assert payments.name in _subject(mail) and "Confirm following" in _subject(mail)
    body = _text(mail)
    assert f"follow the incident “{payments.name}”" in body
    assert f"https://status.example.com/incidents/{payments.public_id}" in body
    assert "updates only, until it is resolved" in body
    assert "/subscriptions/confirm/" in body


def test_a_page_wide_confirmation_names_no_incident(
    client: Client, smtp: SmtpSink, payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_subscribe(
            channel="email", destination="bo@example.com", component_ids=None, ip="198.51.100.8"
        )
    [mail] = smtp.to("bo@example.com")
    assert _subject(mail).startswith("Confirm your subscription to ")
    assert payments.name not in _text(mail) and "/incidents/" not in _text(mail)


def test_a_hostile_stored_incident_name_still_makes_a_one_line_subject(
    client: Client, smtp: SmtpSink, payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    # A row stored before the edge refused such text: the email must still go out.
    Incident.objects.filter(pk=payments.pk).update(name="Pay\r\nBcc: x@evil.test\u202e\x07")
    with django_capture_on_commit_callbacks(execute=True):
        assert _follow(client, payments, "cy@example.com").status_code == 200
    [mail] = smtp.to("cy@example.com")
    assert "Bcc" not in {k for k, _v in mail.items()}
    assert "\n" not in _subject(mail) and "Pay Bcc: x@evil.test" in _subject(mail)
    assert "\u202e" not in _text(mail) and "\x07" not in _subject(mail) + _text(mail)
