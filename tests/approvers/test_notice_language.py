"""An approver's email comes in their console language; their text message stays English
(GSM-7, one segment's price), like a colleague's without a choice."""

from __future__ import annotations

from email.header import decode_header, make_header
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from incidents.audit import Actor
from incidents.models import Incident, StaffLanguage
from incidents.reminders.services import contact_save
from incidents.wording import approvals
from tests.approvers.test_notices import TWILIO, WORDS, _smtp
from tests.reminders.smtp_sink import smtp_sink
from tests.reminders.twilio_double import twilio_double

pytestmark = [pytest.mark.wording, pytest.mark.embedded]


def test_a_german_approver_is_asked_in_german_and_texted_in_english(
    actor: Actor,
    payments: Incident,
    legal: User,
    support: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    StaffLanguage.objects.create(user=legal, language="de", updated_at=timezone.now())
    contact_save(actor=Actor.system("test"), name="Lou", email=legal.email, phone="+14155550123")
    with (
        smtp_sink() as (sink, port),
        twilio_double() as twilio,
        override_settings(**_smtp(port), **TWILIO, CANDOR_TWILIO_API_BASE=twilio.url),
        django_capture_on_commit_callbacks(execute=True),
    ):
        approvals.custom_text_request(
            actor=actor, body=WORDS, phase="identified", incident=payments
        )

    mails = {m["To"]: m for m in sink.messages}
    german, english = mails["lou@example.com"], mails["sue@example.com"]
    subject = str(make_header(decode_header(german["Subject"])))
    assert subject == "[Candor Demo] rita bittet Sie, Texte freizugeben"
    body = german.get_payload(decode=True).decode()
    assert (
        "rita hat Ihre Freigabe für eigenen Text (Ursache gefunden) zur Störung 'Payments'" in body
    )
    assert "asked for your approval" not in body
    assert "rita asked for your approval of custom Identified text" in english.get_payload()
    [(_, _path, form, _)] = twilio.requests
    assert form["Body"][0].startswith("Candor Demo: rita asks you to approve custom Identified")
