"""A postmortem, in real browsers: the responder opens the drafted postmortem of a resolved
incident, writes the root cause and saves; a legal and a support approver, each in a
browser of their own, approve; the responder publishes and the public page shows it.

As in test_console_flow.py, the ORM is used only before the browser starts and after it
stops.
"""

from __future__ import annotations

import pytest
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from incidents.audit import Actor
from incidents.models import AuditAction, AuditEvent
from tests.conftest import staff_user
from tests.e2e.test_console_flow import CHROMIUM
from tests.e2e.test_wording_flow import _signed_in
from tests.postmortems import resolved_incident

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

CAUSE = "A certificate on the payment proxy expired overnight."


def test_a_responder_writes_two_approvers_approve_and_it_is_published(
    live_server: LiveServer, transactional_db: None
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rita = staff_user("rita", roles.RESPONDER)
    staff_user("lou", roles.APPROVER_LEGAL)
    staff_user("sue", roles.APPROVER_SUPPORT)
    incident = resolved_incident(Actor.staff(rita, channel="console"), name="Card payments")
    url = f"{live_server.url}/console/incidents/{incident.public_id}/postmortem/"
    errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        responder = _signed_in(browser, live_server.url, "rita", errors)
        responder.goto(url)
        body = responder.get_by_role("textbox", name="Postmortem")
        draft = body.input_value()
        assert "First public update: Investigating." in draft  # the generated timeline
        body.fill(draft.replace("### Root cause\n", f"### Root cause\n\n{CAUSE}\n"))
        responder.get_by_role("button", name="Save revision").click()
        expect(responder.get_by_text("Revision 1 saved.")).to_be_visible()
        expect(responder.get_by_role("button", name="Publish postmortem")).to_have_count(0)

        for name in ("lou", "sue"):
            approver = _signed_in(browser, live_server.url, name, errors)
            approver.goto(url)
            approver.get_by_role("button", name="Approve revision 1").click()
            expect(approver.get_by_text("You approved revision 1.")).to_be_visible()

        responder.goto(url)
        responder.get_by_role("button", name="Publish postmortem").click()
        expect(responder.get_by_text("Postmortem published.")).to_be_visible()

        public = browser.new_page()
        public.goto(f"{live_server.url}/incidents/{incident.public_id}")
        section = public.get_by_role("region", name="Postmortem")
        expect(section).to_contain_text(CAUSE)
        expect(section.get_by_role("heading", name="Root cause")).to_be_visible()
        browser.close()

    assert errors == []
    assert AuditEvent.objects.filter(action=AuditAction.POSTMORTEM_PUBLISHED).count() == 1
