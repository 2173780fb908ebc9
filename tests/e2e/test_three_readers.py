"""Issue 19's end to end: in one real Chromium, an anonymous reader, an employee who signs in
through a real OIDC provider (oidc-provider on loopback; the `groups` claim maps to the
Employees audience) and a customer who signs in through the link an invitation emailed
(a real SMTP sink) each see exactly their pages, no more and no less. Nothing is set
directly: the sessions are the ones the sign-in flows made."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents.audit import Actor
from incidents.readers import audiences
from tests.audiences.conftest import ACME_ONLY, EMPLOYEES_ONLY, World, page_paths, pages_as_expected
from tests.audiences.conftest import world as world  # the fixture, shared
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check
from tests.notify.peers import SmtpSink
from tests.readers.conftest import admin as admin  # the fixtures, shared
from tests.readers.conftest import link_path
from tests.readers.conftest import reader_provider as reader_provider
from tests.readers.conftest import smtp as smtp
from tests.sso.conftest import OidcProvider

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def _read(page: Any, base: str, paths: list[str]) -> str:
    """Every path as this browser sees it (status, then the page's text), axe-core clean."""
    seen, problems = [], []
    for path in paths:
        answer = page.goto(f"{base}{path}")
        assert answer is not None
        seen.append(f"{answer.status} {path}\n{page.inner_text('body')}")
        if answer.status == 200:
            problems += [f"{path}: {p}" for p in _check(page, AXE.read_text())]
    assert problems == []
    return "\n".join(seen)


def test_anonymous_an_employee_by_sso_and_a_customer_by_link_see_exactly_their_pages(
    live_server: LiveServer,
    transactional_db: None,
    world: World,
    reader_provider: OidcProvider,
    smtp: SmtpSink,
    admin: User,
    settings: Any,
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    settings.CANDOR_APP_URL = live_server.url
    # The provider's "employees" group reads the Employees audience; ACME invites Carol.
    world.employees.oidc_groups = ["employees"]
    world.employees.save(update_fields=["oidc_groups"])
    audiences.reader_invite(
        actor=Actor.staff(admin, channel="console"),
        audience=world.acme,
        email="carol@acme.example",
        now=timezone.now(),
    )
    link = live_server.url + link_path(smtp, "carol@acme.example")
    base = live_server.url
    paths = page_paths(world)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        anonymous_page = browser.new_context().new_page()
        anonymous = _read(anonymous_page, base, paths)

        # The customer: the emailed link, one button, then the same pages.
        carol = browser.new_context().new_page()
        carol.set_default_timeout(15_000)
        carol.goto(link)
        carol.get_by_role("button", name="Sign in").click()
        carol.wait_for_url(f"{base}/reader/sign-in/")
        customer = _read(carol, base, paths)

        # The employee: sent to sign in from the front page, back there afterwards.
        erin = browser.new_context().new_page()
        erin.set_default_timeout(15_000)
        erin.goto(f"{base}/reader/sign-in/?next=/")
        erin.get_by_role("link", name="Sign in with Corp ID").click()
        erin.fill("input[name=login]", "erin")
        erin.fill("input[name=password]", "any password: these are the provider's dev pages")
        erin.click("button[type=submit]")
        erin.click("button[type=submit]")  # consent: Continue
        erin.wait_for_url(f"{base}/")
        employee = _read(erin, base, paths)

        # Signed out, the employee reads what anyone reads.
        erin.goto(f"{base}/reader/sign-in/")
        erin.get_by_role("button", name="Sign out").click()
        erin.wait_for_url(f"{base}/reader/sign-in/")
        after = _read(erin, base, paths[:1])
        browser.close()

    pages_as_expected(world, anonymous=anonymous, employee=employee, customer=customer)

    assert "Checkout errors" in after
    assert not [w for w in EMPLOYEES_ONLY + ACME_ONLY if w in after]
