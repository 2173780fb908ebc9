"""Three readers in a real Chromium: anonymous, a reader whose session holds "employees"
and one whose session holds "acme" (set directly: the sign-in flows are tested with the
readers' sign-in). Each sees exactly their page, and each page passes axe-core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from pytest_django.live_server_helper import LiveServer

from tests.audiences.conftest import World, page_paths, pages_as_expected, reader_session_fill
from tests.audiences.conftest import world as world  # the fixture, shared
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def _session_for(*slugs: str) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    reader_session_fill(
        store,
        *slugs,
        via="oidc" if "employees" in slugs else "link",
        email=f"{'-'.join(slugs)}@example.com",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    store.save()
    return str(store.session_key)


def _read(browser: Any, live_server: LiveServer, paths: list[str], session: str | None) -> str:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if session is not None:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
    page = context.new_page()
    seen = []
    problems: list[str] = []
    for path in paths:
        answer = page.goto(f"{live_server.url}{path}")
        assert answer is not None
        seen.append(f"{answer.status} {path}\n{page.inner_text('body')}")
        if answer.status == 200:
            problems += [f"{path}: {p}" for p in _check(page, AXE.read_text())]
    context.close()
    assert problems == []
    return "\n".join(seen)


def test_anonymous_employee_and_customer_each_see_exactly_their_page(
    live_server: LiveServer, transactional_db: None, world: World
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    paths = page_paths(world)
    # Made before Playwright's event loop runs in this thread (Django refuses it then).
    employees, acme = _session_for("employees"), _session_for("acme")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        anonymous = _read(browser, live_server, paths, None)
        employee = _read(browser, live_server, paths, employees)
        customer = _read(browser, live_server, paths, acme)
        browser.close()

    pages_as_expected(world, anonymous=anonymous, employee=employee, customer=customer)
