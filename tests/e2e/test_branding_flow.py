"""An Admin brands the page in a real Chromium, and the public page shows it under its
strict CSP, passing axe-core in both colour schemes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from tests.branding.pngs import png
from tests.conftest import staff_user
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check
from tests.factories import ComponentFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

LIGHT, DARK = "#0b6e4f", "#7ee2b8"


def _rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_an_admin_sets_a_colour_and_logo_and_the_public_page_shows_them(
    live_server: LiveServer, transactional_db: None, tmp_path: Path
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    ComponentFactory(name="API")
    staff_user("ada", roles.ADMIN)
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(96, 32, "#0b6e4f"))
    axe_source = AXE.read_text()
    csp_errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        console = browser.new_page()
        console.goto(f"{live_server.url}/console/login/")
        console.get_by_label("Username").fill("ada")
        console.get_by_label("Password").fill("correct-horse-battery")
        console.get_by_role("button", name="Sign in").click()
        console.wait_for_url(f"{live_server.url}/console/")
        console.get_by_role("navigation", name="Console").get_by_role(
            "link", name="Publishing"
        ).click()
        console.locator(".crumbs").get_by_role("link", name="Branding").click()

        # A colour too pale for the light page is refused, with the ratio measured.
        console.get_by_label("Accent colour, light scheme").fill("#f2c744")
        console.get_by_role("button", name="Save the branding").click()
        assert console.get_by_text("#f2c744 has a contrast of 1.51:1").is_visible()

        console.get_by_label("Site name").fill("Acme Cloud")
        console.get_by_label("Accent colour, light scheme").fill(LIGHT)
        console.get_by_label("Accent colour, dark scheme").fill(DARK)
        console.get_by_label("Support link").fill("mailto:help@example.com")
        console.get_by_label("Logo").set_input_files(str(logo))
        console.get_by_role("button", name="Save the branding").click()
        assert console.get_by_text("Branding saved.").is_visible()

        found: dict[str, list[str]] = {}
        for scheme, accent in (("light", LIGHT), ("dark", DARK)):
            # The CSP applies here (only axe is injected past it, through DevTools).
            context = browser.new_context(color_scheme=scheme)
            page = context.new_page()
            page.on(
                "console",
                lambda m: csp_errors.append(m.text) if "Content Security" in m.text else None,
            )
            page.goto(f"{live_server.url}/")
            assert page.title() == "Acme Cloud Status"
            subscribe = page.locator("header .button--subscribe")
            assert _style(subscribe, "backgroundColor") == _rgb(accent)
            support = page.get_by_role("link", name="Contact support")
            assert support.get_attribute("href") == "mailto:help@example.com"
            logo_img = page.locator("header img.brand__logo--custom")
            assert logo_img.evaluate("img => img.complete && img.naturalWidth") == 96
            found[scheme] = _check(page, axe_source)
            context.close()
        browser.close()

    assert csp_errors == []
    assert found == {"light": [], "dark": []}


def _style(locator: Any, prop: str) -> str:
    return str(locator.evaluate(f"e => getComputedStyle(e).{prop}"))
