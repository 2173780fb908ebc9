"""Whose fault a refusal is: one recipient's, or the provider refusing everyone.

A real SMTP server (aiosmtpd) refuses at RCPT as a relay does: one mailbox that does not
exist among good ones, or every recipient (a blocked sending IP, a relay misconfiguration,
a 451 "try later" for everyone). Only a recipient's own refusal stops a subscription; the
provider's opens the circuit and keeps the messages (docs/design.md, "Whose fault a
failure is")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, Subscriber, SubscriberChannel
from incidents.notify import fanout, limits
from incidents.notify.transports import Blame
from incidents.notify.transports.email import rcpt_blame
from tests.factories import promised
from tests.notify.conftest import subscriber
from tests.notify.peers import HttpPeer, SmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=[1, 4], ids=["one-connection", "four-connections"])
def connections(request: Any, settings: Any) -> int:
    """Every test with one SMTP connection and with four at once (transports/lanes.py)."""
    settings.CANDOR_EMAIL_CONNECTIONS = request.param
    return int(request.param)


def _publish(actor: Actor, capture: Any) -> None:
    with capture(execute=True):
        lifecycle.incident_open(
            actor=actor, name="Checkout errors", body=promised("Investigating.")
        )


def _readers(count: int) -> list[Subscriber]:
    return [subscriber(SubscriberChannel.EMAIL, f"r{n}@example.com") for n in range(count)]


def _open_ttl() -> int:
    """Seconds the email circuit stays open, as Redis counts them."""
    client = limits.cache._cache.get_client()  # type: ignore[attr-defined]
    return int(client.ttl(limits.cache.make_key("notify:circuit:email:open")))


def _stopped() -> list[str]:
    return sorted(Subscriber.objects.filter(state="stopped").values_list("destination", flat=True))


@pytest.mark.parametrize(
    ("code", "text", "blame", "strong"),
    [
        (550, "5.1.1 <r1@example.com>: Recipient address rejected: User unknown", "either", True),
        (553, "5.1.3 Bad recipient address syntax", "either", True),
        (552, "5.2.2 Mailbox full", "either", False),
        (554, "Service unavailable", "either", False),
        (554, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked", "provider", False),
        (550, "5.7.1 Relaying denied", "provider", False),
        (451, "4.3.0 Try again later", "provider", False),
        (451, "Try again later", "either", False),
        (421, "4.7.0 Closing connection", "provider", False),
    ],
)
def test_each_rcpt_refusal_is_blamed_on_whom_it_may_concern(
    code: int, text: str, blame: str, strong: bool
) -> None:
    assert rcpt_blame(code, text) == (Blame(blame), strong)


def test_one_refused_address_among_good_ones_stops_only_that_subscription(
    actor: Actor, smtp: SmtpSink, connections: int, django_capture_on_commit_callbacks: Any
) -> None:
    _readers(6)
    smtp.refuse_rcpt = lambda a: "554 No such user here" if a == "r2@example.com" else ""
    _publish(actor, django_capture_on_commit_callbacks)

    assert Delivery.objects.filter(state="sent").count() == 5
    assert limits.circuit_state("email") == "closed"
    refused = Delivery.objects.get(subscriber__destination="r2@example.com")
    if _stopped() == [] and connections > 1:
        # With several connections, the provider may have taken every other recipient
        # before it refused this one: nothing yet says the provider still takes others,
        # so the message waits for its retry (as a refusal at the end of a batch does).
        assert refused.state == "failed"
        return
    assert _stopped() == ["r2@example.com"]
    assert refused.state == "dead"


def test_a_5_1_1_for_one_stops_it_even_as_the_last_of_the_batch(
    actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    _readers(4)
    smtp.refuse_rcpt = lambda a: "550 5.1.1 User unknown" if a == "r3@example.com" else ""
    _publish(actor, django_capture_on_commit_callbacks)

    assert _stopped() == ["r3@example.com"]
    assert Delivery.objects.filter(state="sent").count() == 3


@pytest.mark.parametrize(
    "refusal",
    ["554 Service unavailable", "550 5.1.1 User unknown", "554 5.7.1 Client host blocked"],
)
def test_a_refusal_of_every_recipient_opens_the_circuit_and_stops_nobody(
    actor: Actor, smtp: SmtpSink, refusal: str, django_capture_on_commit_callbacks: Any
) -> None:
    _readers(40)
    smtp.refuse_rcpt = lambda a: refusal
    _publish(actor, django_capture_on_commit_callbacks)

    assert _stopped() == []
    assert limits.circuit_state("email") == "open"
    assert Delivery.objects.filter(state="dead").count() == 0
    # Three refusals in a row (CANDOR_NOTIFY_CIRCUIT_FAILURES) and the relay hears no more.
    assert len(smtp.rcpts) == 3
    assert Delivery.objects.filter(state="failed").count() == 3


def test_a_refusal_of_everyone_after_some_were_delivered_still_stops_nobody(
    actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    _readers(20)
    smtp.refuse_rcpt = lambda a: "554 Service unavailable" if len(smtp.rcpts) > 10 else ""
    _publish(actor, django_capture_on_commit_callbacks)

    assert _stopped() == []
    assert Delivery.objects.filter(state="sent").count() == 10
    assert Delivery.objects.filter(state="dead").count() == 0
    assert limits.circuit_state("email") == "open"


def test_a_transient_refusal_of_everyone_opens_the_circuit(
    actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    _readers(40)
    smtp.refuse_rcpt = lambda a: "451 Try again later"
    _publish(actor, django_capture_on_commit_callbacks)

    assert limits.circuit_state("email") == "open"
    assert len(smtp.rcpts) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed", "pending"}


def test_a_refused_probe_reopens_the_circuit_for_longer_and_stops_nobody(
    actor: Actor, smtp: SmtpSink, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CANDOR_NOTIFY_CIRCUIT_OPEN = 10
    _readers(10)
    smtp.refuse_rcpt = lambda a: "554 Service unavailable"
    _publish(actor, django_capture_on_commit_callbacks)
    assert limits.circuit_state("email") == "open"
    assert 7 <= _open_ttl() <= 10

    limits.cache.delete("notify:circuit:email:open")  # the open period has passed
    assert limits.circuit_state("email") == "half-open"
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        result = fanout.fanout_run(channel="email", max_seconds=5)
    assert result.stopped_by == "circuit"
    assert len(smtp.rcpts) == 4  # the one probe
    assert limits.circuit_state("email") == "open"
    assert 15 <= _open_ttl() <= 20
    assert _stopped() == []


def test_the_open_period_doubles_with_jitter_up_to_a_cap(settings: Any) -> None:
    settings.CANDOR_NOTIFY_CIRCUIT_OPEN = 60
    periods = [limits.open_for(trips) for trips in range(1, 9)]
    assert 45 <= periods[0] <= 60 and 90 <= periods[1] <= 120
    assert all(720 <= p <= 960 for p in periods[4:])  # 16 x 60 s at most
    assert len({round(limits.open_for(1), 3) for _ in range(20)}) > 1  # jitter


def test_an_account_level_twilio_error_keeps_the_texts_and_stops_nobody(
    actor: Actor, twilio: HttpPeer, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(5):
        subscriber(SubscriberChannel.SMS, f"+1415555010{n}")

    def refuse(peer: HttpPeer, request: dict[str, Any]) -> tuple[int, bytes]:
        peer.requests.append(request)
        body = b'{"code": 21608, "message": "Trial accounts: unverified number", "status": 400}'
        return 400, body

    twilio.answer = refuse
    _publish(actor, django_capture_on_commit_callbacks)
    assert _stopped() == []
    assert Delivery.objects.filter(state="dead").count() == 0
    assert limits.circuit_state("sms") == "open"
    assert len(twilio.requests) == 3


def test_refusals_shown_to_be_the_providers_do_not_use_up_the_messages_attempts(
    actor: Actor, smtp: SmtpSink, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CANDOR_NOTIFY_MAX_ATTEMPTS = 1  # one failure of the recipient's own is the end
    _readers(10)
    smtp.refuse_rcpt = lambda a: "451 Try again later"
    _publish(actor, django_capture_on_commit_callbacks)
    assert limits.circuit_state("email") == "open"
    assert Delivery.objects.filter(state="dead").count() == 0
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {0}

    limits.cache.delete("notify:circuit:email:open")  # the probe is refused too
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        fanout.fanout_run(channel="email", max_seconds=5)
    assert len(smtp.rcpts) == 4
    assert Delivery.objects.filter(state="dead").count() == 0


def test_a_recipients_own_refusal_at_its_last_attempt_still_stops_the_subscription(
    actor: Actor,
    smtp: SmtpSink,
    settings: Any,
    connections: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CANDOR_NOTIFY_MAX_ATTEMPTS = 1
    _readers(4)
    smtp.refuse_rcpt = lambda a: "554 No such user here" if a == "r1@example.com" else ""
    _publish(actor, django_capture_on_commit_callbacks)
    if connections > 1 and _stopped() == []:
        # Taken every other recipient before the refusal (see above): not yet judged.
        return
    assert _stopped() == ["r1@example.com"]


@pytest.mark.parametrize("where", ["mail", "data"])
def test_a_refusal_at_mail_from_or_data_is_the_providers(
    actor: Actor, smtp: SmtpSink, where: str, django_capture_on_commit_callbacks: Any
) -> None:
    _readers(10)
    if where == "mail":
        smtp.refuse_mail = "554 5.7.1 Sender address rejected: sending IP blocked"
    else:
        smtp.refuse = "554 5.7.1 Message rejected"
    _publish(actor, django_capture_on_commit_callbacks)
    assert _stopped() == []
    assert limits.circuit_state("email") == "open"
    assert Delivery.objects.filter(state="dead").count() == 0
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed", "pending"}
