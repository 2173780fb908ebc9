"""Subscribers told of a published postmortem: through the outbox and the channels an
update's message takes (a real SMTP server, the real twilio SDK against its local
double, a webhook receiver that checks the signature), once, and only when asked."""

from __future__ import annotations

from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from incidents import lifecycle, signing
from incidents.audit import Actor
from incidents.models import (
    FOLLOW_RELEASED,
    AuditAction,
    AuditEvent,
    ComponentStatus,
    Delivery,
    Incident,
    NotifyScope,
    Postmortem,
    SignedNotice,
    SubscriberState,
)
from incidents.notify.costs.forecast import send_forecast
from tests.factories import ComponentFactory, promised, standing_words_approve
from tests.notify.chat_peers import PATHS, PROTOCOLS, ChatReceiver
from tests.notify.conftest import SubscriberChannel, subscriber
from tests.notify.peers import HttpPeer, SmtpSink, webhook_receiver
from tests.postmortems import postmortem_approved

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]  # `make run` tells them too

SUMMARY_START = "Checkout errors: what happened"


@pytest.fixture
def resolved(actor: Actor) -> Incident:
    checkout = ComponentFactory(name="Checkout")
    incident = lifecycle.incident_open(
        actor=actor,
        name="Checkout errors",
        body=promised("Looking into it."),
        components={checkout: ComponentStatus.PARTIAL_OUTAGE},
    )
    standing_words_approve("Checkout works again.")
    lifecycle.incident_resolve(actor=actor, incident=incident, body="Checkout works again.")
    incident.refresh_from_db()
    return incident


def _approved(incident: Incident, author: User) -> Postmortem:
    postmortem_approved(incident, author)
    return Postmortem.objects.get(incident=incident)


def _publish(actor: Actor, postmortem: Postmortem, capture: Any, **options: Any) -> None:
    with capture(execute=True):
        lifecycle.postmortem_publish(actor=actor, postmortem=postmortem, **options)


def _postmortem_mail(smtp: SmtpSink, address: str) -> list[Any]:
    return [m for m in smtp.to(address) if "Postmortem published" in str(m["Subject"])]


def test_email_subscribers_of_its_components_and_released_followers_are_told_once(
    resolved: Incident,
    actor: Actor,
    responder: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    checkout = resolved.components.get()
    subscriber(SubscriberChannel.EMAIL, "all@example.com", personal_phrase="blue heron")
    subscriber(SubscriberChannel.EMAIL, "checkout@example.com", components=[checkout.pk])
    subscriber(SubscriberChannel.EMAIL, "other@example.com", components=[ComponentFactory().pk])
    subscriber(
        SubscriberChannel.EMAIL,
        "follower@example.com",
        incident=resolved,
        state=SubscriberState.UNSUBSCRIBED,
        stopped_reason=FOLLOW_RELEASED,
    )
    subscriber(
        SubscriberChannel.EMAIL,
        "left@example.com",
        incident=resolved,
        state=SubscriberState.UNSUBSCRIBED,
        stopped_reason="Unsubscribed by the recipient.",
    )
    postmortem = _approved(resolved, responder)

    _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.ALL)

    told = {a for a in ("all", "checkout", "other", "follower", "left") if
            _postmortem_mail(smtp, f"{a}@example.com")}  # fmt: skip
    assert told == {"all", "checkout", "follower"}
    (mail,) = _postmortem_mail(smtp, "all@example.com")
    assert str(mail["Subject"]) == "[Candor Demo] Checkout errors: Postmortem published"
    text = mail.get_payload().replace("\r\n", "\n")
    assert text.startswith("Your phrase: blue heron\n")
    assert SUMMARY_START in text and "Root cause" not in text  # the summary, not the whole
    assert f"https://status.example.com/incidents/{resolved.public_id}#postmortem" in text
    notice = SignedNotice.objects.get(kind=signing.POSTMORTEM)
    assert f"https://status.example.com/verify?code={notice.code}" in text
    assert f"c={notice.code};" in mail["Candor-Signature"]
    # A reader who pastes it into the Verify page hears it is genuine.
    assert signing.verify_message(text).genuine
    assert str(mail["References"]) == f"<incident-{resolved.public_id}@status.example.com>"
    postmortem.refresh_from_db()
    assert postmortem.notify == NotifyScope.ALL
    event = AuditEvent.objects.filter(action=AuditAction.POSTMORTEM_PUBLISHED).get()
    assert event.data["notify"] == "all" and event.data["deliveries"] == 3


def test_publishing_again_or_a_new_revision_tells_nobody_twice(
    resolved: Incident,
    actor: Actor,
    responder: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber(SubscriberChannel.EMAIL, "all@example.com")
    postmortem = _approved(resolved, responder)
    _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.ALL)
    with pytest.raises(ValidationError, match="already published"):
        _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.ALL)
    postmortem_approved(resolved, responder)  # revision 2, approved again
    _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.ALL)

    assert len(_postmortem_mail(smtp, "all@example.com")) == 1
    assert Delivery.objects.filter(postmortem=postmortem).count() == 1


def test_nobody_is_told_unless_the_publisher_asks(
    resolved: Incident,
    actor: Actor,
    responder: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber(SubscriberChannel.EMAIL, "all@example.com")
    postmortem = _approved(resolved, responder)

    _publish(actor, postmortem, django_capture_on_commit_callbacks)

    assert _postmortem_mail(smtp, "all@example.com") == []
    assert not Delivery.objects.filter(postmortem=postmortem).exists()
    postmortem.refresh_from_db()
    assert postmortem.published_at is not None and postmortem.notify == NotifyScope.NONE


def test_sms_carries_the_code_and_email_and_chat_only_skips_it(
    resolved: Incident,
    actor: Actor,
    responder: User,
    twilio: HttpPeer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber(SubscriberChannel.SMS, "+14155550100")
    postmortem = _approved(resolved, responder)
    forecast = send_forecast(
        update=postmortem, component_ids=[resolved.components.get().pk], scope=NotifyScope.ALL
    )
    assert {c.channel: c.messages for c in forecast.channels}["sms"] == 1
    assert forecast.cost >= 0

    _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.FREE_ONLY)
    assert [r for r in twilio.requests if "form" in r] == []

    postmortem_approved(resolved, responder)
    _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.ALL)
    (request,) = [r for r in twilio.requests if "form" in r]
    body = request["form"]["Body"]
    notice = SignedNotice.objects.filter(kind=signing.POSTMORTEM).latest("signed_at")
    assert "Postmortem published" in body and f"Verify code {notice.code}." in body
    assert "Reply STOP" in body and len(body) <= 306
    assert signing.verify_message(body).genuine


def test_a_webhook_receives_the_postmortem_published_event(
    resolved: Incident,
    actor: Actor,
    responder: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    secrets_by_path: dict[str, str] = {}
    receiver = webhook_receiver(lambda path: secrets_by_path[path])
    try:
        hook = subscriber(SubscriberChannel.WEBHOOK, f"{receiver.url}/hooks/candor")
        secrets_by_path["/hooks/candor"] = hook.webhook_secret
        postmortem = _approved(resolved, responder)
        _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.ALL)
    finally:
        receiver.stop()
    (request,) = receiver.requests
    assert request["verified"]
    event = request["json"]
    postmortem.refresh_from_db()
    assert event["type"] == "postmortem.published"
    assert event["incident"] == {
        "id": resolved.public_id,
        "name": "Checkout errors",
        "url": f"https://status.example.com/incidents/{resolved.public_id}",
    }
    assert event["postmortem"]["id"] == postmortem.public_id
    assert event["postmortem"]["body"] == postmortem.published_body
    assert event["postmortem"]["url"].endswith("#postmortem")
    assert request["headers"]["idempotency-key"] == Delivery.objects.get().key


def test_a_german_subscriber_reads_the_interface_words_in_german(
    resolved: Incident,
    actor: Actor,
    responder: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber(SubscriberChannel.EMAIL, "de@example.com", language="de")
    postmortem = _approved(resolved, responder)
    _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.ALL)

    (mail,) = smtp.to("de@example.com")
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "[Candor Demo] Checkout errors: Nachbetrachtung veröffentlicht"
    text = mail.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert "Die ganze Nachbetrachtung lesen:" in text
    assert SUMMARY_START in text  # the postmortem's own words, as written


@pytest.fixture
def receivers(settings: Any) -> Iterator[dict[str, ChatReceiver]]:
    settings.CANDOR_CHAT_EXTRA_HOSTS = ["127.0.0.1"]  # the receivers live on loopback
    running = {name: ChatReceiver(protocol).start() for name, protocol in PROTOCOLS.items()}
    yield running
    for receiver in running.values():
        receiver.stop()


def test_every_chat_gets_one_valid_message_with_a_link_to_the_postmortem(
    resolved: Incident,
    actor: Actor,
    responder: User,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
) -> None:
    for chat, receiver in receivers.items():
        subscriber(chat, receiver.url(PATHS[chat].format(n=1)))
    postmortem = _approved(resolved, responder)
    _publish(actor, postmortem, django_capture_on_commit_callbacks, notify=NotifyScope.FREE_ONLY)

    for chat, receiver in receivers.items():
        assert receiver.invalid == [], chat
        (message,) = receiver.received[PATHS[chat].format(n=1).partition("?")[0]]
        words = str(message)
        # (Discord's text escapes Markdown: "errors\\:")
        assert "Checkout errors" in words and "what happened, and what it meant" in words, chat
        assert f"/incidents/{resolved.public_id}#postmortem" in words, chat
        assert "Read the postmortem" in words or chat == "discord", chat
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
