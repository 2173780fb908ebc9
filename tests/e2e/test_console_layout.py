"""The console's menu stays on one line on a 1280 px wide screen, the common laptop."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from tests.conftest import staff_user

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def test_the_console_menu_does_not_wrap_at_1280_px(
    live_server: LiveServer, transactional_db: None
) -> None:
    from playwright.sync_api import sync_playwright

    staff_user("rita", roles.ADMIN)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/console/login/")
        page.get_by_label("Username").fill("rita")
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/console/")
        tops = page.eval_on_selector_all(
            "nav.nav li", "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
        )
        overflow = page.eval_on_selector("nav.nav ul", "ul => ul.scrollWidth - ul.clientWidth")
        browser.close()

    assert len(tops) >= 10
    assert len(set(tops)) == 1, f"the menu wraps onto {len(set(tops))} lines"
    assert overflow <= 0, f"the menu overflows by {overflow} px"
