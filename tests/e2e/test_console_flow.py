"""A responder, in a real browser: sign in, open an incident, update it, see it published.

Drives Debian's headless Chromium against pytest-django's live server (a thread), so the
sync Playwright API is safe here. Everything touching the ORM happens before the browser
starts or after it stops: Playwright runs an event loop in this thread while it is up, and
Django refuses synchronous queries from inside one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from incidents.models import AuditEvent, Component, ComponentStatus, Incident
from tests.conftest import staff_user
from tests.factories import ComponentFactory, GroupFactory, promised

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
# Set to a directory to keep screenshots of the console pages for a visual review.
SCREENSHOTS = os.environ.get("CANDOR_E2E_SCREENSHOTS")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

NAME = "Checkout payments failing"
FIRST_BODY = "We are seeing **elevated errors** when paying at checkout."
UPDATE_TEXT = "A failed database node is the cause; traffic is moving to a replica."


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_responder_opens_and_updates_an_incident_that_the_public_sees(
    live_server: LiveServer, transactional_db: None
) -> None:
    from playwright.sync_api import expect, sync_playwright

    staff_user("rita", roles.RESPONDER)
    checkout = ComponentFactory(name="Checkout", group=GroupFactory(name="Storefront"))
    ComponentFactory(name="Search", group=checkout.group)
    first_body, update_text = promised(FIRST_BODY), promised(UPDATE_TEXT)
    console_errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        # CSP violations ("Refused to execute inline script ...") are logged as errors.
        page.on(
            "console",
            lambda message: (
                console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: console_errors.append(str(error)))

        # Signing in: the console sends an anonymous visitor to the login page first.
        page.goto(f"{live_server.url}/console/")
        expect(page.get_by_role("heading", name="Candor Demo console")).to_be_visible()
        page.get_by_label("Username").fill("rita")
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="No open incidents")).to_be_visible()

        # Opening the incident, watching the preview render the Markdown.
        page.get_by_role("main").get_by_role("link", name="Open incident").click()
        page.get_by_label("Name").fill(NAME)
        page.get_by_label("Impact").select_option("major")
        page.get_by_label("Checkout").select_option("partial_outage")
        page.get_by_label("First update").fill(first_body)
        preview = page.locator("#id_body_preview")
        expect(preview.locator("strong")).to_have_text("elevated errors")
        page.get_by_role("button", name="Open incident and publish").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
        expect(page.get_by_text("is open and published")).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="1 open incident")).to_be_visible()
        _shot(page, "incident")

        # Posting an update.
        page.get_by_role("combobox", name="Status", exact=True).select_option("identified")
        page.get_by_role("textbox", name="Update", exact=True).fill(update_text)
        expect(preview).to_contain_text("traffic is moving to a replica")
        # A responder's double click: console.js takes the first, the server would
        # have written the second once anyway.
        page.get_by_role("button", name="Post update").dblclick()
        expect(page.get_by_text("Update posted and published.")).to_be_visible()
        expect(page.locator(".timeline")).to_contain_text(UPDATE_TEXT)

        page.goto(f"{live_server.url}/console/")
        expect(page.get_by_role("link", name=NAME)).to_be_visible()
        _shot(page, "dashboard")

        # What the public sees.
        page.goto(f"{live_server.url}/")
        expect(page.get_by_text(NAME).first).to_be_visible()
        expect(page.get_by_text(UPDATE_TEXT).first).to_be_visible()
        _shot(page, "public")

        browser.close()

    assert console_errors == []
    incident = Incident.objects.get()
    assert incident.status == "identified"
    assert incident.updates.count() == 2  # the first and the one update, once
    assert Component.objects.get(pk=checkout.pk).status == ComponentStatus.PARTIAL_OUTAGE
    assert set(AuditEvent.objects.values_list("channel", flat=True)) == {"console"}
