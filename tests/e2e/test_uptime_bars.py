"""The compact uptime bars in a real Chromium: expanded by public.js into days with their
tooltips, accessible with and without the script, and the same from the static snapshot."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from bench.seed import seed_site
from incidents.publish.snapshot import render_snapshot
from incidents.publish.targets.local import LocalTarget
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

COMPONENTS = 80
BARS = """() => [...document.querySelectorAll('[data-uptime] ol')]
    .map(ol => [...ol.children].map(li => li.className + '|' + li.textContent))"""


def _expanded_bars(page: Any, url: str) -> list[list[str]]:
    page.goto(url)
    page.wait_for_selector("[data-uptime-src][data-expanded]", state="attached", timeout=15000)
    return page.evaluate(BARS)  # type: ignore[no-any-return]


class _Mirror(http.server.SimpleHTTPRequestHandler):
    """A static file server for a snapshot directory, finding "page" as "page.html"."""

    def log_message(self, *args: object) -> None:
        pass


def test_bars_expand_into_days_pass_axe_and_the_snapshot_shows_the_same(
    live_server: LiveServer, transactional_db: None, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    # The realistic size: 80 components, 1,000 incidents in 90 days.
    seed_site(components=COMPONENTS, incidents=1000, days=90, now=timezone.now())
    # Served as the mirror is: the tree `current` names, by a plain static server.
    LocalTarget(tmp_path / "mirror").push(render_snapshot(tmp_path / "site"))
    handler = functools.partial(_Mirror, directory=str(tmp_path / "mirror" / "current"))
    mirror = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=mirror.serve_forever, daemon=True).start()
    axe_source = AXE.read_text()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless", "--no-sandbox", "--disable-background-networking"],
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            live = _expanded_bars(page, f"{live_server.url}/")
            assert len(live) == COMPONENTS and all(len(bar) == 90 for bar in live)
            assert any("Major outage" in day and "(#" in day for bar in live for day in bar)
            assert _check(page, axe_source) == []
            # The tooltip shows on pointing at a day (of a group opened first).
            page.locator("summary.group__summary").first.click()
            day = page.locator("[data-uptime] ol > li").nth(89)
            day.hover()
            assert day.locator("span").is_visible()
            copy = _expanded_bars(page, f"http://127.0.0.1:{mirror.server_port}/index.html")
            # Today's tooltip moves with the clock between the two renders.
            assert [bar[:-1] for bar in copy] == [bar[:-1] for bar in live]
            context.close()

            # Without the page's script (blocked; axe itself needs JavaScript, so the page
            # cannot simply have it off): runs, a summary for screen readers, no violation.
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/candor/public*.js", lambda route: route.abort())
            page = context.new_page()
            page.goto(f"{live_server.url}/")
            assert page.locator("[data-expanded]").count() == 0  # the script did not run
            assert page.locator(".uptime__bars--runs").count() == COMPONENTS
            assert page.locator(".uptime__summary").count() == COMPONENTS
            assert _check(page, axe_source) == []
            context.close()
            browser.close()
    finally:
        mirror.shutdown()
