"""Times in the reader's time zone, in a real Chromium: a Berlin reader of the German page
reads the incident's times in Berlin time with the zone named, the UTC text in the title;
without JavaScript the page's UTC text stays."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from incidents import lifecycle
from incidents.audit import Actor
from tests.factories import promised

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

# A winter moment: Berlin is UTC+1 (CET, "MEZ" in German).
OPENED = datetime(2026, 1, 15, 13, 5, tzinfo=UTC)


def _browser(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
    )


def test_a_berlin_reader_reads_berlin_time_and_without_javascript_utc(
    live_server: LiveServer, transactional_db: None
) -> None:
    from playwright.sync_api import sync_playwright

    incident = lifecycle.incident_open(
        actor=Actor.system("test"), name="Checkout errors", impact="minor",
        body=promised("Looking.", now=OPENED), now=OPENED,
    )  # fmt: skip
    url = f"{live_server.url}/de/incidents/{incident.public_id}"
    moment = 'time[datetime="2026-01-15T13:05:00Z"]'
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        berlin = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin").new_page()
        errors: list[str] = []
        berlin.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        berlin.goto(url)
        first = berlin.locator(moment).first
        first.wait_for()
        berlin.wait_for_function(
            "s => document.querySelector(s).hasAttribute('data-local')", arg=moment
        )
        text = first.inner_text()
        assert "14:05" in text and "MEZ" in text, text  # Berlin's time, its zone named
        assert "15.01.2026" in text or "15. Jan" in text, text  # the German date
        assert "UTC" not in text
        title = first.get_attribute("title") or ""
        assert "13:05" in title and title.endswith("UTC"), title  # the UTC text kept
        # Every moment on the page was converted; the time stays text inside <time>.
        for element in berlin.locator("time[datetime*='T']").all():
            assert element.get_attribute("data-local") == "", element.inner_text()
            assert "UTC" not in element.inner_text()
        assert not errors, errors  # no CSP refusal, no script error

        plain = browser.new_context(
            locale="de-DE", timezone_id="Europe/Berlin", java_script_enabled=False
        ).new_page()
        plain.goto(url)
        text = plain.locator(moment).first.inner_text()
        assert "13:05" in text and text.endswith("UTC"), text
        assert plain.locator(moment).first.get_attribute("title") is None
        browser.close()
