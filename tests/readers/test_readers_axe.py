"""The reader's pages and the Admin's audience pages, checked by axe-core in Chromium
(WCAG 2.1 A and AA, light and dark), as tests/e2e/test_accessibility.py checks the rest."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from incidents.models import Audience, AudienceMember, Reader, ReaderInvitation
from tests.conftest import staff_user
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def test_reader_and_audience_pages_pass_axe_in_both_colour_schemes(
    live_server: LiveServer, transactional_db: None, settings: Any
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    settings.CANDOR_READER_OIDC_ISSUER = "http://127.0.0.1:9"  # the button shows; never used
    settings.CANDOR_READER_OIDC_CLIENT_ID = "readers"
    settings.CANDOR_READER_OIDC_CLIENT_SECRET = "s" * 40
    staff_user("rita", roles.ADMIN)
    acme = Audience.objects.create(
        slug="customer-acme", name="Customer ACME", oidc_groups=["acme"],
        ip_allowlist=["203.0.113.0/24"],
    )  # fmt: skip
    now = timezone.now()
    reader = Reader.objects.create(email="carol@acme.example", created_at=now)
    AudienceMember.objects.create(audience=acme, reader=reader, via="link", created_at=now)
    ReaderInvitation.objects.create(audience=acme, email="dan@acme.example", created_at=now)
    pages = [
        "/reader/sign-in/",
        "/reader/link/not-a-valid-token/",  # the refusal page
        "/console/audiences/",
        "/console/audiences/customer-acme/",
    ]
    axe_source = AXE.read_text()
    found: dict[str, list[str]] = {}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        for scheme in ("light", "dark"):
            context = browser.new_context(
                color_scheme=scheme, viewport={"width": 1280, "height": 900}
            )
            page = context.new_page()
            page.goto(f"{live_server.url}/reader/sign-in/")
            page.get_by_label("Send a sign-in link to").fill("someone@example.com")
            page.get_by_role("button", name="Send me a link").click()
            page.wait_for_url(f"{live_server.url}/reader/sign-in/")
            found[f"{scheme} link sent"] = _check(page, axe_source)
            page.goto(f"{live_server.url}/console/login/")
            page.get_by_label("Username").fill("rita")
            page.get_by_label("Password").fill("correct-horse-battery")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/console/")
            for path in pages:
                page.goto(f"{live_server.url}{path}")
                found[f"{scheme} {path}"] = _check(page, axe_source)
            context.close()
        browser.close()

    failures = {where: problems for where, problems in found.items() if problems}
    assert not failures, "\n".join(f"{w}: {p}" for w, p in failures.items())
    assert len(found) == 2 * (1 + len(pages))
