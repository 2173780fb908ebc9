"""An approver on a phone: the link in their email, sign in, one tap to approve.

Words wait for approval; the approver's email (a real aiosmtpd) carries the signed link.
Opened signed out on a 390x844 viewport it leads to the sign-in page and back to the words;
one tap approves. The test counts the clicks ("approval link: N clicks").
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import lifecycle, roles
from incidents.audit import Actor
from incidents.models import Approval, CustomTextRequest
from incidents.wording import approvals
from tests.conftest import staff_user
from tests.e2e.test_console_flow import CHROMIUM
from tests.e2e.test_responder_flow import Clicks
from tests.notify.peers import SmtpSink

WORDS = "Card payments fail for some customers. Next update within 30 minutes."

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def test_an_approver_approves_from_the_link_on_a_phone_in_two_taps(
    live_server: LiveServer, transactional_db: None, settings: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    smtp = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 3
    settings.CANDOR_APP_URL = live_server.url
    rita = staff_user("rita", roles.RESPONDER)
    staff_user("lou", roles.APPROVER_LEGAL)
    now = timezone.now()
    incident = lifecycle.incident_open(
        actor=Actor.system("ingest"),
        name="Payments",
        body="We are investigating reports of problems with some of our services since "
        f"{now:%H:%M} UTC. Next update by {now + timedelta(minutes=10):%H:%M} UTC.",
        now=now,
    )
    words = approvals.custom_text_request(
        actor=Actor.staff(rita, channel="console"),
        body=WORDS,
        phase="identified",
        incident=incident,
    )  # the notice is sent on commit, by the eager task
    [message] = smtp.to("lou@example.com")
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    link = re.search(r"http://\S+/console/decide/\S+/", body)
    assert link, body
    click = Clicks()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        page.set_default_timeout(10_000)
        page.goto(link.group(0))  # signed out: the sign-in page, then back here
        page.get_by_label("Username").fill("lou")
        page.get_by_label("Password").fill("correct-horse-battery")
        click(page.get_by_role("button", name="Sign in"))
        expect(page.get_by_text(WORDS)).to_be_visible()
        expect(page.get_by_text("Asked by rita")).to_be_visible()
        click(page.get_by_role("button", name="Approve these words"))
        expect(page.get_by_text("Approved.", exact=True)).to_be_visible()
        browser.close()
    smtp.stop()

    print(f"approval link: {click.count} clicks")
    assert click.count == 2
    lou = User.objects.get(username="lou")
    assert Approval.objects.filter(custom_text=words, approver=lou).exists()
    assert approvals.custom_text_approved(CustomTextRequest.objects.get(pk=words.pk))
