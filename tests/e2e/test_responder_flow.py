"""The responder's first minutes, in a real browser, with approved words only.

The demo responder opens an incident from the Investigating template, posts Identified and
Monitoring from theirs, and resolves from the prefilled Resolve box: every word comes from a
console picker. After each step the public page, the public incident page, the v2 summary,
the Atom feed, and the email (a real aiosmtpd) and SMS (the real twilio SDK against a local
Twilio) each subscriber receives must state the one next-update time the words promise.

The test counts every click it makes and prints it ("responder flow: N clicks").

With CANDOR_SCREENSHOTS=docs/screenshots it also writes the README's screenshots: the
new-incident form with its picker, the console incident page, and the public page in light,
dark (prefers-color-scheme) and a 390x844 mobile viewport.

As in test_console_flow.py, the ORM is used only before the browser starts and after it stops.
"""

from __future__ import annotations

import os
import re
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERNAME, Command
from incidents.models import Incident, Subscriber, SubscriberChannel, SubscriberState
from incidents.wording.default_templates import default_templates_install
from tests.e2e.test_console_flow import CHROMIUM
from tests.factories import ComponentFactory, GroupFactory
from tests.notify.peers import HttpPeer, SmtpSink, twilio_double

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

SCREENSHOTS = os.environ.get("CANDOR_SCREENSHOTS")
NAME = "Checkout payments failing"
READER_EMAIL = "reader@example.com"
READER_PHONE = "+14155550100"
PROMISE = re.compile(r"Next update by (\d\d:\d\d) UTC")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


class Clicks:
    """Every click goes through here, so the count is the whole flow's."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, target: Locator) -> None:
        target.click()
        self.count += 1


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


def _promise(words: str) -> str:
    match = PROMISE.search(words)
    assert match, words
    return match.group(1)


def _public_promises(page: Page, base: str, public_id: str) -> dict[str, list[str]]:
    """The next-update times the public page, the incident page, summary.json and the
    Atom feed's newest entry state for the incident, as "HH:MM".

    A new reader each time: public pages allow clients to cache them for
    CANDOR_PUBLIC_MAX_AGE seconds, and this is about what the server says now.
    """
    assert page.context.browser
    # In UTC, as the words promise: the page shows times in the reader's zone.
    reader = page.context.browser.new_page(timezone_id="UTC")
    reader.goto(f"{base}/")
    home = [t[15:20] for t in reader.locator(".card__next").all_inner_texts()]
    reader.goto(f"{base}/incidents/{public_id}")
    detail = [t[15:20] for t in reader.locator(".next-update").all_inner_texts()]
    reader.close()
    summary = page.request.get(f"{base}/api/v2/summary.json")
    assert summary.ok
    listed = [i for i in summary.json()["incidents"] if i["id"] == public_id]
    v2 = [i["next_update_at"][11:16] for i in listed if i.get("next_update_at")]
    atom = page.request.get(f"{base}/history.atom")
    assert atom.ok
    # The newest entry is the incident; its timeline lists the newest update first, each
    # one opening with an (escaped) <small> date: that update's words carry the promise.
    newest = atom.text().split("<entry>", 2)[1].split("&lt;small&gt;", 2)[1]
    return {
        "public page": home,
        "incident page": detail,
        "summary.json": v2,
        "atom": PROMISE.findall(newest)[:1],
    }


def _public_agrees(page: Page, base: str, public_id: str, promise: str | None) -> None:
    expected = [promise] if promise else []
    stated = {}
    for _ in range(20):  # the public cache re-reads its generation every 0.25 s
        stated = _public_promises(page, base, public_id)
        if all(v == expected for v in stated.values()):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the words promise {promise}; the public surfaces say {stated}")


def _text_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def _messages_agree(
    page: Page, smtp: SmtpSink, twilio: HttpPeer, step: int, promise: str | None
) -> None:
    """The newest email and SMS each subscriber got, at this step, state `promise`."""
    expected = [promise] if promise else []
    for _ in range(40):  # sent on commit, in the request that posted: normally there already
        mails, texts = smtp.to(READER_EMAIL), [r for r in twilio.requests if "form" in r]
        if len(mails) >= step and len(texts) >= step:
            break
        page.wait_for_timeout(250)
    assert (len(mails), len(texts)) == (step, step), "one message per update and channel"
    stated = {
        "email": PROMISE.findall(_text_of(mails[-1])),
        "sms": PROMISE.findall(texts[-1]["form"]["Body"]),
    }
    assert stated == {"email": expected, "sms": expected}, (
        f"the words promise {promise}; the messages say {stated}"
    )


def _subscribers(settings: Any, smtp: SmtpSink, twilio: HttpPeer) -> None:
    """A reader by email and one by SMS, confirmed, for every component."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 3
    settings.CANDOR_TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.CANDOR_TWILIO_AUTH_TOKEN = "twilio-test-auth-token"
    settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.CANDOR_TWILIO_API_BASE = twilio.url
    settings.CANDOR_SMS_ENABLED = True
    settings.CANDOR_SMS_COUNTRIES = ["US"]
    settings.CANDOR_NOTIFY_PARALLEL = 1
    for channel, destination in (
        (SubscriberChannel.EMAIL, READER_EMAIL),
        (SubscriberChannel.SMS, READER_PHONE),
    ):
        Subscriber.objects.create(
            channel=channel,
            destination=destination,
            state=SubscriberState.CONFIRMED,
            all_components=True,
            created_at=timezone.now(),
            confirmed_at=timezone.now(),
        )


def test_demo_responder_runs_an_incident_from_approved_words(
    live_server: LiveServer, transactional_db: None, settings: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    smtp, twilio = SmtpSink().start(), twilio_double()
    _subscribers(settings, smtp, twilio)
    demo, approvers = Command()._demo_users()
    default_templates_install(author=demo, approvers=approvers)
    checkout = ComponentFactory(name="Checkout", group=GroupFactory(name="Storefront"))
    ComponentFactory(name="Search", group=checkout.group)
    base = live_server.url
    click = Clicks()
    promises: list[str] = []
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

        page.goto(f"{base}/console/login/")
        page.get_by_label("Username").fill(DEMO_USERNAME)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        click(page.get_by_role("button", name="Sign in"))
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

        # Opening from the Investigating template: "Use" fills in the name, the
        # components and the cadence's first promise.
        click(page.get_by_role("main").get_by_role("link", name="Open incident"))
        page.get_by_label("Name").fill(NAME)
        page.get_by_label("Impact").select_option("major")
        page.get_by_label("Checkout").select_option("partial_outage")
        body = page.get_by_role("textbox", name="First update")
        click(page.locator("li", has_text="Investigating").get_by_role("button", name="Use"))
        expect(body).to_have_value(PROMISE)
        words = body.input_value()
        assert "Checkout" in words
        promises.append(_promise(words))
        expect(page.locator("#id_body_wording")).to_contain_text("approved")
        _shot(page, "console-new-incident")
        click(page.get_by_role("button", name="Open incident and publish"))
        expect(page.get_by_text("is open and published")).to_be_visible()
        console_url = page.url
        public_id = console_url.rstrip("/").rsplit("/", 1)[1]
        _public_agrees(page, base, public_id, promises[-1])
        _messages_agree(page, smtp, twilio, 1, promises[-1])

        # Identified, then Monitoring: each from its template's "Use", which sets the status.
        for phase in ("Identified", "Monitoring"):
            page.goto(console_url)
            update = page.get_by_role("textbox", name="Update", exact=True)
            offered = page.locator(".panel", has=update).locator("li", has_text=phase)
            click(offered.get_by_role("button", name="Use"))
            expect(page.get_by_role("combobox", name="Status", exact=True)).to_have_value(
                phase.lower()
            )
            expect(update).to_have_value(PROMISE)
            promises.append(_promise(update.input_value()))
            if phase == "Monitoring":
                _shot(page, "console-incident")
            click(page.get_by_role("button", name="Post update"))
            expect(page.get_by_text("Update posted and published.")).to_be_visible()
            _public_agrees(page, base, public_id, promises[-1])
            _messages_agree(page, smtp, twilio, len(promises), promises[-1])

        # The public page while the incident is open, for the README.
        if SCREENSHOTS:
            light = browser.new_page(viewport={"width": 1280, "height": 900})
            light.goto(f"{base}/")
            _shot(light, "public-light")
            dark = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
            dark.goto(f"{base}/")
            _shot(dark, "public-dark")
            mobile = browser.new_page(
                viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True
            )
            mobile.goto(f"{base}/")
            _shot(mobile, "public-mobile")

        # Resolving: the box starts with the approved Resolved words.
        page.goto(console_url)
        resolution = page.locator(".panel--resolve textarea")
        expect(resolution).to_have_value(re.compile(r"^This incident has been resolved\."))
        click(page.get_by_role("button", name="Resolve incident"))
        expect(page.get_by_text(f"Incident “{NAME}” is resolved.")).to_be_visible()
        _public_agrees(page, base, public_id, None)
        _messages_agree(page, smtp, twilio, 4, None)

        browser.close()
    smtp.stop()
    twilio.stop()

    print(f"responder flow: {click.count} clicks")
    assert errors == []
    incident = Incident.objects.get(public_id=public_id)
    assert incident.status == "resolved"
    assert [u.status for u in incident.updates.order_by("created_at")] == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]
