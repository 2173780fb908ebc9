"""A responder sees the send forecast before posting, in a real browser.

Two email and three SMS readers; SMS priced at 0.0083 a segment and an Admin's cap of
0.01. The responder fills the Identified template: the forecast shows 5 messages and
about 0.05 USD of SMS (2 GSM-7 segments x 3), above the cap. Posting as it is is refused,
with the forecast on the form; choosing "Email and chat only" updates the forecast to no
SMS (3 skipped), and the update posts. The ORM is used only before the browser starts
and after it stops (as in test_console_flow.py).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import lifecycle, wording
from incidents.audit import Actor
from incidents.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERNAME, Command
from incidents.models import Delivery, Incident, Subscriber, SubscriberChannel, SubscriberState
from incidents.notify.costs.gate import sms_cost_cap_set
from incidents.wording import approvals
from incidents.wording.default_templates import default_templates_install
from tests.e2e.test_console_flow import CHROMIUM
from tests.notify.peers import SmtpSink, twilio_double

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def _audience(settings: Any, smtp: SmtpSink, twilio_url: str) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 3
    settings.CANDOR_TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.CANDOR_TWILIO_AUTH_TOKEN = "twilio-test-auth-token"
    settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.CANDOR_TWILIO_API_BASE = twilio_url
    settings.CANDOR_SMS_ENABLED = True
    settings.CANDOR_SMS_COUNTRIES = ["US"]
    settings.CANDOR_SMS_PRICES = {"US": Decimal("0.0083")}
    settings.CANDOR_SMS_SENDER_TYPE = "long_code"
    settings.CANDOR_SMS_SENDERS = 1
    settings.CANDOR_SMS_MPS = 0
    settings.CANDOR_NOTIFY_PARALLEL = 1
    readers = [(SubscriberChannel.EMAIL, f"reader{n}@example.com") for n in range(2)]
    readers += [(SubscriberChannel.SMS, f"+1415555010{n}") for n in range(3)]
    for channel, destination in readers:
        Subscriber.objects.create(
            channel=channel, destination=destination, state=SubscriberState.CONFIRMED,
            all_components=True, created_at=timezone.now(), confirmed_at=timezone.now(),
        )  # fmt: skip


def test_a_responder_sees_the_forecast_and_sends_email_only_above_the_cap(
    live_server: LiveServer, transactional_db: None, settings: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    smtp, twilio = SmtpSink().start(), twilio_double()
    _audience(settings, smtp, twilio.url)
    demo, approvers = Command()._demo_users()
    default_templates_install(author=demo, approvers=approvers)
    now = timezone.now()
    values = wording.values_for(
        title="Payments",
        component_names=[],
        started_at=now,
        next_update_at=now + timedelta(minutes=15),
    )
    incident = lifecycle.incident_open(
        actor=Actor.system("test"), name="Payments", notify="none",
        body=approvals.template_words("investigating", values) or "",
    )  # fmt: skip
    sms_cost_cap_set(actor=Actor.system("test"), amount=Decimal("0.01"))
    errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server.url}/console/login/")
        page.get_by_label("Username").fill(DEMO_USERNAME)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/console/incidents/{incident.public_id}/")

        post = page.locator("form", has=page.get_by_role("button", name="Post update"))
        forecast = post.locator(".forecast__body")
        expect(forecast).to_contain_text("The forecast appears once the update has words.")
        update = page.get_by_role("textbox", name="Update", exact=True)
        offered = page.locator(".panel", has=update).locator("li", has_text="Identified")
        offered.get_by_role("button", name="Use").click()
        # As the words arrive: 5 messages, SMS 2 segments x 3 readers, above the cap.
        expect(forecast).to_contain_text("5 messages")
        expect(forecast).to_contain_text("0.05 USD")
        expect(forecast).to_contain_text("Above the SMS cost cap of 0.01 USD")
        expect(forecast.locator('tr[data-channel="sms"]')).to_contain_text("2 \u00d7 3 = 6")
        expect(forecast.locator('tr[data-channel="email"]')).to_contain_text("2")

        # Posting without confirming is refused, the forecast shown beside the choice.
        page.get_by_role("button", name="Post update").click()
        expect(page.get_by_text("above the cap of 0.01")).to_be_visible()
        post = page.locator("form", has=page.get_by_role("button", name="Post update"))
        forecast = post.locator(".forecast__body")
        expect(forecast).to_contain_text("0.05 USD")

        # Email and chat only: the forecast drops the SMS, and the update posts.
        post.get_by_label("Email and chat only (no SMS)").check()
        expect(forecast.locator('tr[data-channel="sms"]')).to_contain_text("3 skipped")
        expect(forecast).to_contain_text("SMS about 0.00 USD")
        page.get_by_role("button", name="Post update").click()
        expect(page.get_by_text("Update posted and published.")).to_be_visible()
        browser.close()

    smtp.stop()
    twilio.stop()
    # The refused post answers 400, as every console form with errors does: nothing else.
    assert [e for e in errors if "status of 400" not in e] == []
    assert len(errors) <= 1
    update = Incident.objects.get().updates.order_by("-created_at", "-pk").first()
    assert update is not None and update.notify == "free_only"
    channels = sorted(
        Delivery.objects.filter(incident_update=update).values_list("channel", flat=True)
    )
    assert channels == ["email", "email"]
