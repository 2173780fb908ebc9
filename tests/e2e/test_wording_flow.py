"""Custom words, in real browsers: a responder writes, sees the policy's objection marked
in the text, fixes it and sends it for approval; an approver, in a browser of their own,
approves; the responder publishes and the public sees it.

As in test_console_flow.py, the ORM is used only before the browser starts and after it
stops.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import lifecycle, roles
from incidents.audit import Actor
from incidents.models import Approval, CustomTextRequest, Incident
from incidents.wording import approvals
from tests.conftest import staff_user
from tests.e2e.test_console_flow import CHROMIUM
from tests.factories import ComponentFactory

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.wording,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

DRAFT = "Our seamless fix is rolling out to the card processor. Next update by 15:00 UTC."
FIXED = "A fix is rolling out to the card processor. Next update by 15:00 UTC."
PASSWORD = "correct-horse-battery"


def _signed_in(browser: Browser, base: str, username: str, errors: list[str]) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/console/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")
    return page


def test_custom_words_are_checked_approved_by_another_and_published(
    live_server: LiveServer, transactional_db: None
) -> None:
    from playwright.sync_api import expect, sync_playwright

    staff_user("rita", roles.RESPONDER)
    staff_user("lou", roles.APPROVER_LEGAL)
    ComponentFactory(name="Payments")
    now = timezone.now()  # the words' promise must lie ahead and within the cadence
    body = approvals.template_words(
        "investigating",
        {
            "components": "Payments",
            "started_at": f"{now:%H:%M} UTC",
            "next_update_at": f"{now + timedelta(minutes=10):%H:%M} UTC",
        },
    )
    assert body is not None
    incident = lifecycle.incident_open(
        actor=Actor.system("ingest"), name="Card payments failing", body=body
    )
    url = f"{live_server.url}/console/incidents/{incident.public_id}/"
    errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        rita = _signed_in(browser, live_server.url, "rita", errors)
        rita.goto(url)

        # Writing: the policy objects as she types, and marks where.
        rita.get_by_role("combobox", name="Status", exact=True).select_option("identified")
        update = rita.get_by_role("textbox", name="Update", exact=True)
        update.fill(DRAFT)
        check = rita.locator("#id_body_wording")
        expect(check).to_contain_text("1 problem with the wording policy")
        expect(check).to_contain_text("Marketing language")
        expect(check.locator("mark")).to_have_text("seamless")

        # Fixed, and sent for approval rather than published.
        update.fill(FIXED)
        expect(check).to_contain_text("Passes the wording policy, but these words are not approved")
        rita.get_by_role("button", name="Post update").click()
        expect(rita.get_by_text("These words are not approved for this phase")).to_be_visible()
        rita.get_by_role("textbox", name="Update", exact=True).fill(FIXED)
        rita.get_by_role("combobox", name="Status", exact=True).select_option("identified")
        rita.get_by_role("button", name="Submit words for approval").click()
        expect(rita.get_by_text("Sent to the approvers.")).to_be_visible()
        waiting = rita.locator("li", has_text=FIXED)
        expect(waiting).to_contain_text("waiting for approval")

        # Lou, elsewhere, approves.
        lou = _signed_in(browser, live_server.url, "lou", errors)
        lou.goto(f"{live_server.url}/console/approvals/")
        item = lou.locator("li.approval", has_text=FIXED)
        expect(item).to_contain_text("by rita for Card payments failing")
        item.get_by_role("button", name="Approve this text").click()
        expect(lou.get_by_text("Approved.", exact=True)).to_be_visible()

        # Rita publishes the approved words.
        rita.goto(url)
        approved = rita.locator("li", has_text=FIXED)
        expect(approved).to_contain_text("approved")
        approved.get_by_role("button", name="Use").click()
        expect(update).to_have_value(FIXED)
        rita.get_by_role("button", name="Post update").click()
        expect(rita.get_by_text("Update posted and published.")).to_be_visible()

        rita.goto(f"{live_server.url}/incidents/{incident.public_id}")
        expect(rita.get_by_text(FIXED)).to_be_visible()
        browser.close()

    # The one refused post answers 400 (the form, with its reasons); nothing else failed.
    assert [e for e in errors if "status of 400" not in e] == []
    request = CustomTextRequest.objects.get(body=FIXED)
    assert request.author.username == "rita"
    assert [a.approver.username for a in Approval.objects.filter(custom_text=request)] == ["lou"]
    assert Incident.objects.get(pk=incident.pk).updates.first().body == FIXED  # type: ignore[union-attr]
