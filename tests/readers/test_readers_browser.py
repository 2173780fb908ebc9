"""Readers in a real browser: a customer through the link their invitation emailed (a
real SMTP sink), an employee through a real OIDC provider (oidc-provider on loopback, the
reader client: groups claim to audience), someone in no mapped group refused, hostile
claims, sign-out, and the provider going down. The session the app keeps is read from
the session store: `candor_reader` is the contract with incidents/audiences/."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents.audit import Actor
from incidents.models import Audience, AudienceMember, AuditAction, AuditEvent, Reader
from incidents.readers import audiences
from incidents.readers.session import SESSION_KEY
from tests.notify.peers import SmtpSink
from tests.readers.conftest import link_path
from tests.sso.conftest import OidcProvider
from tests.sso.test_sso_browser import CHROMIUM

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def _session(page: Page) -> dict[str, Any]:
    """What the session store holds for this browser. Read in a thread of its own: the
    ORM refuses to run in Playwright's (it has an event loop running)."""
    [cookie] = [c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]

    def load() -> dict[str, Any]:
        try:
            store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
            return dict(store.load())
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(load).result()


def _through_provider(
    browser: Browser, live_server: LiveServer, login: str, then: str = ""
) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/reader/sign-in/" + (f"?next={then}" if then else ""))
    page.get_by_role("link", name="Sign in with Corp ID").click()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: these are the provider's dev pages")
    page.click("button[type=submit]")
    page.click("button[type=submit]")  # consent: Continue
    page.wait_for_url(f"{live_server.url}{then or '/reader/'}**")
    return page


def test_a_customer_by_link_and_an_employee_by_single_sign_on(
    live_server: LiveServer,
    transactional_db: None,
    reader_provider: OidcProvider,
    smtp: SmtpSink,
    admin: User,
    settings: Any,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    settings.CANDOR_APP_URL = live_server.url
    Audience.objects.create(slug="employees", name="Employees", oidc_groups=["employees"])
    acme = Audience.objects.create(slug="customer-acme", name="Customer ACME")
    audiences.reader_invite(
        actor=Actor.staff(admin, channel="console"),
        audience=acme,
        email="carol@acme.example",
        now=timezone.now(),
    )  # the email goes on commit, through the eager task
    link = live_server.url + link_path(smtp, "carol@acme.example")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        # The customer: the emailed link, one button.
        carol = browser.new_context().new_page()
        carol.set_default_timeout(15_000)
        carol.goto(link)
        carol.get_by_role("button", name="Sign in").click()
        carol.wait_for_url(f"{live_server.url}/reader/sign-in/")
        expect(carol.get_by_role("status")).to_contain_text("Signed in as carol@acme.example")
        value = _session(carol)[SESSION_KEY]
        assert value["email"] == "carol@acme.example" and value["via"] == "link"
        assert value["audiences"] == ["customer-acme"]
        left = datetime.fromisoformat(value["expires_at"]) - datetime.now(UTC)
        assert timedelta(hours=7) < left <= timedelta(hours=8)
        # The link again: spent.
        replay = browser.new_context().new_page()
        replay.goto(link)
        expect(replay.get_by_role("alert")).to_contain_text("already been used")

        # The employee: the reader provider, groups claim to audience.
        # Sent to sign in from a page: back on that page afterwards.
        erin = _through_provider(browser, live_server, "erin", then="/history")
        assert erin.url == f"{live_server.url}/history"
        erin.goto(f"{live_server.url}/reader/sign-in/")
        expect(erin.get_by_role("status")).to_contain_text("Signed in as erin@corp.example")
        value = _session(erin)[SESSION_KEY]
        assert value["via"] == "oidc" and value["audiences"] == ["employees"]
        assert "_auth_user_id" not in _session(erin)  # a reader, not a staff login

        # Someone in no group that reads a page: refused with a clear page.
        outsider = _through_provider(browser, live_server, "outsider")
        expect(outsider.get_by_role("alert")).to_contain_text("in no group that may read a page")
        assert SESSION_KEY not in _session(outsider)

        # Hostile claims: signed in, with what was safe to keep.
        mallory = _through_provider(browser, live_server, "mallory")
        assert _session(mallory)[SESSION_KEY]["audiences"] == ["employees"]

        # Sign-out.
        erin.get_by_role("button", name="Sign out").click()
        erin.wait_for_url(f"{live_server.url}/reader/sign-in/")
        expect(erin.get_by_role("link", name="Sign in with Corp ID")).to_be_visible()
        assert SESSION_KEY not in _session(erin)

        # The provider goes down: said plainly, and the link form is still there.
        reader_provider.stop()
        late = browser.new_context().new_page()
        late.goto(f"{live_server.url}/reader/sign-in/")
        late.get_by_role("link", name="Sign in with Corp ID").click()
        expect(late.get_by_role("alert")).to_contain_text("Single sign-on is not working")
        expect(late.get_by_label("Send a sign-in link to")).to_be_visible()
        browser.close()

    erin_reader = Reader.objects.get(subject="erin")
    assert erin_reader.issuer == reader_provider.issuer and erin_reader.email == "erin@corp.example"
    assert not User.objects.filter(email__in=["erin@corp.example", "carol@acme.example"]).exists()
    assert (
        not Reader.objects.filter(subject="outsider").exists()
        or not AudienceMember.objects.filter(reader__subject="outsider").exists()
    )
    mallory_reader = Reader.objects.get(subject="mallory")
    assert mallory_reader.email == "" and "\x1b" not in mallory_reader.name
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count(AuditAction.READER_SIGNED_IN) == 3
    assert actions.count(AuditAction.READER_SIGNED_OUT) == 1
    refusals = AuditEvent.objects.filter(action=AuditAction.READER_REFUSED)
    reasons = [str(e.data["reason"]) for e in refusals]
    assert any(re.search("no group", r) for r in reasons)
    assert any("identity provider failed" in r for r in reasons)
