"""Approvers are told at once that words wait, by email and SMS, through their outbox:
a mail server or Twilio being down delays the message, never loses it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from incidents import tasks, wording
from incidents.approvers import notices
from incidents.audit import Actor
from incidents.models import (
    Approval,
    ApproverNotice,
    CustomTextRequest,
    Incident,
    NoticeChannel,
    NoticeState,
)
from incidents.reminders.services import contact_save
from incidents.wording import approvals, decisions
from tests.reminders.smtp_sink import free_port, smtp_sink
from tests.reminders.twilio_double import twilio_double

pytestmark = [pytest.mark.wording, pytest.mark.embedded]

WORDS = "Card payments fail for some customers. Next update within 30 minutes."
LOU_MOBILE = "+14155550123"
TWILIO = {
    "CANDOR_TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "CANDOR_TWILIO_AUTH_TOKEN": "twilio-auth-token-for-tests",
    "CANDOR_TWILIO_MESSAGING_SERVICE_SID": "MG" + "2" * 32,
}


def _smtp(port: int) -> dict[str, Any]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
    }


@pytest.fixture
def lou_has_a_mobile(legal: User) -> None:
    """Lou is also a reminder contact, with a mobile number."""
    contact_save(actor=Actor.system("test"), name="Lou", email=legal.email, phone=LOU_MOBILE)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _ask(actor: Actor, incident: Incident, capture: Any) -> CustomTextRequest:
    with capture(execute=True):
        return approvals.custom_text_request(
            actor=actor, body=WORDS, phase="identified", incident=incident
        )


def test_approvers_get_an_email_and_lou_a_text_with_a_link_that_decides(
    actor: Actor,
    payments: Incident,
    legal: User,
    support: User,
    lou_has_a_mobile: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        smtp_sink() as (sink, port),
        twilio_double() as twilio,
        override_settings(**_smtp(port), **TWILIO, CANDOR_TWILIO_API_BASE=twilio.url),
    ):
        words = _ask(actor, payments, django_capture_on_commit_callbacks)

    assert sorted(m["To"] for m in sink.messages) == ["lou@example.com", "sue@example.com"]
    mail = sink.messages[0].get_payload()
    assert "rita asked for your approval of custom Identified text" in mail
    assert WORDS not in mail  # the words stay in the console
    [(_, path, form, _)] = twilio.requests  # Sue has no mobile: email only
    assert path.endswith("/Messages.json") and form["To"] == [LOU_MOBILE]
    text = form["Body"][0]
    assert text.startswith("Candor Demo: rita asks you to approve custom Identified text.")
    info = wording.sms_info(text)
    assert (info.encoding, info.segments) == ("GSM-7", 2), text  # link included
    link = re.search(r"/console/decide/\S+/", text)
    assert link
    lou = Client()
    lou.force_login(legal)
    lou.post(link.group(0), {"decision": "approve"})
    assert Approval.objects.filter(custom_text=words, approver=legal).exists()
    sent = ApproverNotice.objects.filter(custom_text=words)
    assert sorted(sent.values_list("channel", "state")) == [
        ("email", "sent"),
        ("email", "sent"),
        ("sms", "sent"),
    ]
    assert not sent.filter(approver__username="rita").exists()  # never the author


def test_a_mail_server_down_delays_the_notice_with_backoff_and_it_is_sent_when_back(
    actor: Actor,
    payments: Incident,
    legal: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    start = timezone.now()
    with override_settings(**_smtp(free_port())):  # nothing listens there
        words = _ask(actor, payments, django_capture_on_commit_callbacks)
        notice = ApproverNotice.objects.get(custom_text=words)
        assert (notice.state, notice.attempts) == (NoticeState.PENDING, 1)
        assert notice.next_attempt_at == start + timedelta(seconds=30)
        assert "ConnectionRefusedError" in notice.last_error
        clock.move_to(start + timedelta(seconds=29))
        assert tasks.approver_notices_sweep() == 0  # not before its retry time

    with smtp_sink() as (sink, port), override_settings(**_smtp(port)):
        clock.move_to(start + timedelta(seconds=30))
        assert tasks.approver_notices_sweep() == 1

    [message] = sink.messages
    assert message["To"] == "lou@example.com"
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.last_error) == (NoticeState.SENT, 1, "")


def test_a_notice_that_never_gets_through_is_parked_with_its_error(
    actor: Actor,
    payments: Incident,
    legal: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with override_settings(**_smtp(free_port())):
        words = _ask(actor, payments, django_capture_on_commit_callbacks)
        notice = ApproverNotice.objects.filter(custom_text=words)
        for _ in range(notices.MAX_ATTEMPTS - 1):
            clock.move_to(notice.get().next_attempt_at)
            tasks.approver_notices_sweep()

    parked = notice.get()
    assert (parked.state, parked.attempts) == (NoticeState.FAILED, notices.MAX_ATTEMPTS)
    assert parked.last_error


def test_twilio_refusing_a_text_is_retried_and_the_email_still_goes(
    actor: Actor,
    payments: Incident,
    legal: User,
    lou_has_a_mobile: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        smtp_sink() as (sink, port),
        twilio_double() as twilio,
        override_settings(**_smtp(port), **TWILIO, CANDOR_TWILIO_API_BASE=twilio.url),
    ):
        twilio.fail_for.add(LOU_MOBILE)
        words = _ask(actor, payments, django_capture_on_commit_callbacks)

    [message] = sink.messages
    assert message["To"] == "lou@example.com"
    text = ApproverNotice.objects.get(custom_text=words, channel=NoticeChannel.SMS)
    # Not the approver's fault as far as we can tell: kept, to try again.
    assert (text.state, text.attempts) == (NoticeState.PENDING, 1)


def test_without_twilio_configured_nobody_is_texted(
    actor: Actor,
    payments: Incident,
    legal: User,
    lou_has_a_mobile: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    words = _ask(actor, payments, django_capture_on_commit_callbacks)

    channels = ApproverNotice.objects.filter(custom_text=words).values_list("channel", flat=True)
    assert list(channels) == ["email"]


def test_words_decided_before_the_notice_left_are_not_announced(
    actor: Actor, payments: Incident, legal: User, support: User
) -> None:
    words = approvals.custom_text_request(
        actor=actor, body=WORDS, phase="identified", incident=payments
    )  # committed, but the notices' tasks have not run yet
    decisions.approval_give(actor=Actor.staff(support, channel="console"), custom_text=words)

    results = [notices.notice_send(n.pk) for n in ApproverNotice.objects.filter(custom_text=words)]

    # Approved (one approver suffices for custom text): nobody is asked any more.
    assert results == ["cancelled", "cancelled"]
    assert ApproverNotice.objects.get(custom_text=words, approver=legal).state == "cancelled"


def test_the_console_shows_how_the_approvers_were_told(
    actor: Actor,
    payments: Incident,
    legal: User,
    responder: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with override_settings(**_smtp(free_port())):  # the mail server is down
        _ask(actor, payments, django_capture_on_commit_callbacks)
    rita, lou = Client(), Client()
    rita.force_login(responder)
    lou.force_login(legal)

    incident = rita.get(f"/console/incidents/{payments.public_id}/").content.decode()
    queue = lou.get("/console/approvals/").content.decode()

    assert "waiting for approval for" in incident and "approvers told: Email retrying" in incident
    assert "Approvers told: lou by Email (retrying: ConnectionRefusedError" in queue


def test_a_notice_whose_worker_died_mid_send_is_sent_again_after_the_lease(
    actor: Actor,
    payments: Incident,
    legal: User,
    clock: time_machine.Coordinates,
) -> None:
    words = approvals.custom_text_request(
        actor=actor, body=WORDS, phase="identified", incident=payments
    )  # committed; its task never ran
    start = timezone.now()
    ApproverNotice.objects.filter(custom_text=words).update(
        state=NoticeState.SENDING, claimed_at=start
    )  # claimed by a worker that then died
    clock.move_to(start + notices.LEASE - timedelta(seconds=1))
    assert tasks.approver_notices_sweep() == 0  # that worker may still be sending

    with smtp_sink() as (sink, port), override_settings(**_smtp(port)):
        clock.move_to(start + notices.LEASE + timedelta(seconds=1))
        assert tasks.approver_notices_sweep() == 1

    assert [m["To"] for m in sink.messages] == ["lou@example.com"]
    assert ApproverNotice.objects.get(custom_text=words).state == NoticeState.SENT
