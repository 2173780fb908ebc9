"""An on-call person posts an approved update by text, through the real Twilio webhook
(signed as Twilio signs it): "UPDATE <incident> <status> <PIN>"."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.test import Client

from incidents.models import (
    AuditEvent,
    InboundOutcome,
    InboundPost,
    Incident,
    IncidentUpdate,
)
from incidents.post_in.credentials import Issued
from tests.post_in.conftest import PHONE

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def _reply(answer: Any) -> str:
    assert answer.status_code == 200, answer.content
    message = ElementTree.fromstring(answer.content).find("Message")
    return "" if message is None else str(message.text)


def test_a_registered_number_with_its_pin_posts_the_approved_words(
    client: Client, twilio_signed: Any, olga: Issued, incident: Incident
) -> None:
    text = f"update {incident.public_id} Monitoring {olga.pin}"
    reply = _reply(twilio_signed(client, {"From": PHONE, "Body": text, "MessageSid": "SM1"}))
    assert reply == "Posted monitoring to Checkout errors"
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    update = incident.updates.order_by("-created_at").first()
    assert update is not None and update.status == "monitoring"
    # The approved "Monitoring" template, filled in as the console's draft would be.
    assert update.body.startswith("A fix has been applied and we are seeing recovery for Checkout")
    assert "Next update by" in update.body
    event = AuditEvent.objects.filter(action="incident.updated").get()
    assert (event.actor_label, event.channel, event.actor) == ("sms:olga", "sms", olga.poster.user)


def test_twilio_retrying_the_same_message_posts_once(
    client: Client, twilio_signed: Any, olga: Issued, incident: Incident
) -> None:
    form = {"From": PHONE, "Body": f"UPDATE {incident.public_id} identified {olga.pin}",
            "MessageSid": "SM2"}  # fmt: skip
    first = _reply(twilio_signed(client, form))
    again = _reply(twilio_signed(client, form))
    assert first == again == "Posted identified to Checkout errors"
    assert IncidentUpdate.objects.filter(incident=incident, status="identified").count() == 1


def test_a_reminder_code_or_the_start_of_the_id_names_the_incident(
    client: Client, twilio_signed: Any, olga: Issued, incident: Incident
) -> None:
    reminder = incident.reminders.first()  # type: ignore[attr-defined]
    assert reminder is not None
    by_code = f"UPDATE {reminder.public_id} identified {olga.pin}"
    assert _reply(twilio_signed(client, {"From": PHONE, "Body": by_code, "MessageSid": "SM3"}))\
        .startswith("Posted")  # fmt: skip
    short = f"UPDATE {incident.public_id[:5]} monitoring {olga.pin}"
    assert _reply(twilio_signed(client, {"From": PHONE, "Body": short, "MessageSid": "SM4"}))\
        .startswith("Posted")  # fmt: skip


@pytest.mark.parametrize(
    ("sender", "body", "reason"),
    [
        ("+14155550999", "UPDATE {id} monitoring {pin}", "this number cannot post updates"),
        ("{phone}", "UPDATE {id} monitoring 00000000", "wrong PIN"),
        ("{phone}", "UPDATE {id} monitoring", "UPDATE <incident id>"),
        ("{phone}", "UPDATE {id} fixed-it {pin}", "UPDATE <incident id>"),
        ("{phone}", "UPDATE zzzzzzzzzzzz monitoring {pin}", "No open incident has the id"),
        ("{phone}", "UPDATE {id} monitoring {pin}\u202e", "UPDATE <incident id>"),
        ("{phone}", "UPDATE {id} monitoring " + "9" * 300, "UPDATE <incident id>"),
    ],
)
def test_anything_else_is_refused_with_its_reason_and_posts_nothing(
    client: Client, twilio_signed: Any, olga: Issued, incident: Incident,
    sender: str, body: str, reason: str,
) -> None:  # fmt: skip
    text = body.format(id=incident.public_id, pin=olga.pin)
    form = {"From": sender.format(phone=PHONE), "Body": text, "MessageSid": "SM9"}
    reply = _reply(twilio_signed(client, form))
    assert reason in reply
    assert reply.startswith("Not posted") or "No open incident" in reply or "Send:" in reply
    assert incident.updates.count() == 1
    assert InboundPost.objects.get().outcome == InboundOutcome.REFUSED


def test_a_resolved_incident_and_a_missing_template_are_refused(
    client: Client, twilio_signed: Any, olga: Issued, incident: Incident
) -> None:
    form = {"From": PHONE, "Body": f"UPDATE {incident.public_id} resolved {olga.pin}",
            "MessageSid": "SM5"}  # fmt: skip
    assert _reply(twilio_signed(client, form)).startswith("Posted resolved")
    form |= {"Body": f"UPDATE {incident.public_id} monitoring {olga.pin}", "MessageSid": "SM6"}
    assert "is resolved; open a new incident" in _reply(twilio_signed(client, form))


def test_guessing_pins_is_stopped_after_five_attempts(
    client: Client, twilio_signed: Any, olga: Issued, incident: Incident
) -> None:
    cache.clear()
    for n in range(5):
        form = {"From": PHONE, "Body": f"UPDATE {incident.public_id} monitoring 1234567{n}",
                "MessageSid": f"SMg{n}"}  # fmt: skip
        assert "wrong PIN" in _reply(twilio_signed(client, form))
    right = {"From": PHONE, "Body": f"UPDATE {incident.public_id} monitoring {olga.pin}",
             "MessageSid": "SMg9"}  # fmt: skip
    assert "Too many attempts" in _reply(twilio_signed(client, right))
    assert incident.updates.count() == 1


def test_other_texts_still_reach_stop_and_ack(
    client: Client, twilio_signed: Any, olga: Issued
) -> None:
    reply = _reply(twilio_signed(client, {"From": PHONE, "Body": "HELP", "MessageSid": "SM7"}))
    assert "Reply STOP" in reply or "STOP" in reply
    assert not InboundPost.objects.exists()
