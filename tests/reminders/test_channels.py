"""Reminders over real transports: SMTP to a loopback sink, SMS through the real twilio
SDK to a local server playing Twilio, and replies through the signed inbound webhook."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.test.utils import override_settings
from twilio.request_validator import RequestValidator

from incidents import lifecycle, tasks
from incidents.audit import Actor
from incidents.models import AuditEvent, Incident, Reminder, ReminderState
from incidents.reminders.services import incident_owners_set
from tests.factories import promised
from tests.reminders.conftest import T0, People
from tests.reminders.smtp_sink import free_port, smtp_sink
from tests.reminders.twilio_double import twilio_double

SYSTEM = Actor.system("test")
SID = "AC" + "1" * 32
TOKEN = "twilio-auth-token-for-tests"
TWILIO = {
    "CANDOR_TWILIO_ACCOUNT_SID": SID,
    "CANDOR_TWILIO_AUTH_TOKEN": TOKEN,
    "CANDOR_TWILIO_MESSAGING_SERVICE_SID": "MG" + "2" * 32,
    "CANDOR_CANONICAL_URL": "https://status.example.com",
    "CANDOR_APP_URL": "https://status.example.com",
}


def _owned_incident(people: People) -> Incident:
    incident = lifecycle.incident_open(
        actor=SYSTEM, name="Login slow", body=promised("Investigating.")
    )
    incident_owners_set(actor=SYSTEM, incident=incident, owners=[people.owner])
    return incident


def test_a_reminder_reaches_a_real_smtp_server(
    people: People, clock: time_machine.Coordinates
) -> None:
    with (
        smtp_sink() as (sink, port),
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
        ),
    ):
        incident = _owned_incident(people)
        clock.move_to(T0 + timedelta(minutes=10))
        tasks.reminders_sweep()
    [message] = sink.messages
    assert message["To"] == "olivia@example.com"
    assert "Update due: Login slow" in message["Subject"]
    assert "?draft=" in message.get_payload()
    reminder = Reminder.objects.get(incident=incident, kind="update_due")
    assert reminder.email_result == "sent to 1"


def test_a_reminder_that_reached_nobody_is_retried_with_backoff_then_parked(
    people: People, clock: time_machine.Coordinates
) -> None:
    down = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": free_port(),  # nothing listens there
    }
    with override_settings(**down):
        incident = _owned_incident(people)
        reminder = Reminder.objects.filter(incident=incident, kind="update_due")
        clock.move_to(T0 + timedelta(minutes=10))
        tasks.reminders_sweep()
        first = reminder.get()
        assert (first.state, first.attempts) == (ReminderState.PENDING, 1)
        assert first.email_result.startswith("failed:")
        assert first.retry_at == T0 + timedelta(minutes=10, seconds=30)
        clock.move_to(T0 + timedelta(minutes=10, seconds=29))
        tasks.reminders_sweep()
        assert reminder.get().attempts == 1  # not before its retry time
        for _ in range(4):  # 30 s, 1, 2, 4 minutes later: every try fails
            clock.move_to(reminder.get().retry_at)
            tasks.reminders_sweep()
        parked = reminder.get()
        assert (parked.state, parked.attempts) == (ReminderState.FAILED, 5)
        assert parked.error == "Neither email nor SMS reached anyone after 5 tries."

    with smtp_sink() as (sink, port):  # the mail server is back: a retry goes out, saying how late
        incident = lifecycle.incident_open(actor=SYSTEM, name="Second", body=promised("x"))
        incident_owners_set(actor=SYSTEM, incident=incident, owners=[people.owner])
        with override_settings(**{**down, "EMAIL_PORT": free_port()}):
            clock.move_to(incident.next_update_due - timedelta(minutes=5))
            tasks.reminders_sweep()
        with override_settings(**{**down, "EMAIL_PORT": port}):
            clock.move_to(incident.next_update_due - timedelta(minutes=3))
            tasks.reminders_sweep()
    # (The first incident's escalations were retried too; Olivia's reminder is this one.)
    [message] = [m for m in sink.messages if "Second" in m["Subject"]]
    assert "This reminder is 2 minutes late: earlier tries to send it reached nobody." in (
        message.get_payload()
    )
    sent = Reminder.objects.get(incident=incident, kind="update_due")
    assert (sent.state, sent.attempts, sent.lateness_seconds) == (ReminderState.SENT, 1, 120.0)


def test_sms_goes_through_the_real_twilio_sdk(
    people: People, clock: time_machine.Coordinates
) -> None:
    with twilio_double() as twilio, override_settings(**TWILIO, CANDOR_TWILIO_API_BASE=twilio.url):
        incident = _owned_incident(people)
        clock.move_to(T0 + timedelta(minutes=10))
        tasks.reminders_sweep()
    reminder = Reminder.objects.get(incident=incident, kind="update_due")
    [(method, path, form, auth)] = twilio.requests
    assert (method, path) == ("POST", f"/2010-04-01/Accounts/{SID}/Messages.json")
    assert auth == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert form["To"] == ["+14155550101"]
    assert form["MessagingServiceSid"] == ["MG" + "2" * 32]
    body = form["Body"][0]
    assert "Login slow" in body and "12:15 UTC" in body
    assert f"Reply ACK {reminder.public_id}" in body
    assert f"?draft={reminder.public_id}" in body
    assert reminder.sms_result == "sent to 1"
    assert reminder.email_result == "sent to 1"


def test_an_sms_refused_by_twilio_is_recorded_and_email_still_goes(
    people: People, clock: time_machine.Coordinates
) -> None:
    with twilio_double() as twilio, override_settings(**TWILIO, CANDOR_TWILIO_API_BASE=twilio.url):
        twilio.fail_for.add("+14155550101")
        incident = _owned_incident(people)
        clock.move_to(T0 + timedelta(minutes=10))
        tasks.reminders_sweep()
    reminder = Reminder.objects.get(incident=incident, kind="update_due")
    assert reminder.sms_result == "sent to 0, failed for +14155550101"
    assert reminder.state == ReminderState.SENT  # the email reached Olivia


def _signed_post(
    client: Client, form: dict[str, str], *, token: str = TOKEN, path: str = "/api/twilio/sms/"
) -> object:
    url = f"https://status.example.com{path}"
    signature = RequestValidator(token).compute_signature(url, form)
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def sent_by_sms(people: People, clock: time_machine.Coordinates) -> Reminder:
    with twilio_double() as twilio, override_settings(**TWILIO, CANDOR_TWILIO_API_BASE=twilio.url):
        incident = _owned_incident(people)
        clock.move_to(T0 + timedelta(minutes=10))
        tasks.reminders_sweep()
    return Reminder.objects.get(incident=incident, kind="update_due")


@override_settings(**TWILIO)
def test_an_sms_reply_acknowledges_the_reminder(sent_by_sms: Reminder, client: Client) -> None:
    response = _signed_post(
        client, {"From": "+14155550101", "Body": f"ack {sent_by_sms.public_id}"}
    )
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert b"Acknowledged reminder" in response.content  # type: ignore[attr-defined]
    sent_by_sms.refresh_from_db()
    assert sent_by_sms.acknowledged_at == T0 + timedelta(minutes=10)
    assert sent_by_sms.acknowledged_by == "sms:+14155550101"
    event = AuditEvent.objects.get(action="reminder.acknowledged")
    assert event.channel == "sms"
    # A second reply is harmless: still one acknowledgement.
    _signed_post(client, {"From": "+14155550101", "Body": "ACK"})
    assert AuditEvent.objects.filter(action="reminder.acknowledged").count() == 1


@override_settings(**TWILIO)
def test_the_subscribers_inbound_webhook_takes_acknowledgements_too(
    sent_by_sms: Reminder, client: Client
) -> None:
    """A Messaging Service has one inbound webhook; staff and subscribers share it."""
    form = {"From": "+14155550101", "Body": f"ACK {sent_by_sms.public_id}"}
    response = _signed_post(client, form, path="/notify/twilio/inbound")
    assert b"Acknowledged reminder" in response.content  # type: ignore[attr-defined]
    sent_by_sms.refresh_from_db()
    assert sent_by_sms.acknowledged_by == "sms:+14155550101"


@override_settings(**TWILIO)
def test_a_forged_reply_is_refused(sent_by_sms: Reminder, client: Client) -> None:
    form = {"From": "+14155550101", "Body": f"ACK {sent_by_sms.public_id}"}
    forged = _signed_post(client, form, token="not-our-token")
    unsigned = client.post("/api/twilio/sms/", form)
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert unsigned.status_code == 403
    sent_by_sms.refresh_from_db()
    assert sent_by_sms.acknowledged_at is None


@override_settings(**TWILIO)
def test_a_reply_from_another_number_acknowledges_nothing(
    sent_by_sms: Reminder, client: Client
) -> None:
    response = _signed_post(client, {"From": "+14155550199", "Body": "ACK"})
    assert b"No reminder" in response.content  # type: ignore[attr-defined]
    sent_by_sms.refresh_from_db()
    assert sent_by_sms.acknowledged_at is None


# Twilio's opt-out keywords, its help keywords and its opt-in keywords.
STOPS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
INBOUND = ["/api/twilio/sms/", "/notify/twilio/inbound"]


@override_settings(**TWILIO)
@pytest.mark.parametrize("path", INBOUND)
@pytest.mark.parametrize("word", STOPS)
def test_stop_on_any_inbound_endpoint_ends_reminder_texts_and_start_resumes_them(
    people: People, clock: time_machine.Coordinates, client: Client, path: str, word: str
) -> None:
    answer = _signed_post(client, {"From": "+14155550101", "Body": f" {word.lower()} "}, path=path)
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert b"<Message>" not in answer.content  # type: ignore[attr-defined]  # Twilio confirms
    people.owner.refresh_from_db()
    assert people.owner.sms_stopped_at is not None
    (event,) = AuditEvent.objects.filter(summary__contains="replied")
    assert (event.actor_label, event.channel) == ("sms:+14155550101", "sms")
    assert event.summary == f"Olivia's phone replied {word}: no reminder texts until START"

    with twilio_double() as twilio, override_settings(CANDOR_TWILIO_API_BASE=twilio.url):
        incident = _owned_incident(people)
        clock.move_to(T0 + timedelta(minutes=10))
        tasks.reminders_sweep()
        assert twilio.requests == []  # no text to a number that said STOP
    reminder = Reminder.objects.get(incident=incident, kind="update_due")
    assert reminder.email_result == "sent to 1"  # Olivia still gets the email

    _signed_post(client, {"From": "+14155550101", "Body": "UNSTOP"}, path=path)
    people.owner.refresh_from_db()
    assert people.owner.sms_stopped_at is None
    assert AuditEvent.objects.filter(summary__contains="replied UNSTOP").count() == 1


@override_settings(**TWILIO)
@pytest.mark.parametrize("path", INBOUND)
@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_on_any_inbound_endpoint_says_who_we_are_and_how_to_stop(
    people: People, client: Client, path: str, word: str
) -> None:
    answer = _signed_post(client, {"From": "+14155550101", "Body": word}, path=path)
    assert b"Reply STOP to opt out" in answer.content  # type: ignore[attr-defined]
    assert b"ACK" in answer.content  # type: ignore[attr-defined]  # a contact: how to ack
    people.owner.refresh_from_db()
    assert people.owner.sms_stopped_at is None


@override_settings(**TWILIO)
def test_stop_on_the_reminders_endpoint_stops_a_subscriber_too(
    people: People, client: Client
) -> None:
    from django.utils import timezone

    from incidents.models import Subscriber

    reader = Subscriber.objects.create(
        channel="sms", destination="+14155550101", state="confirmed", created_at=timezone.now()
    )
    _signed_post(client, {"From": "+14155550101", "Body": "STOP"})
    reader.refresh_from_db()
    assert reader.state == "stopped"
