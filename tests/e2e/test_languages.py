"""The public page in the reader's language, in a real Chromium: German and Japanese from
the browser's language, the switch (plain links), and axe-core in every shipped language,
Arabic's right-to-left layout included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from incidents.models import Incident

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def _browser(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
    )


def test_german_and_japanese_readers_and_the_switch(
    live_server: LiveServer, transactional_db: None
) -> None:
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", verbosity=0)
    incident = Incident.objects.exclude(status="resolved").get().public_id
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        german = browser.new_context(locale="de-DE").new_page()
        german.goto(f"{live_server.url}/history")
        assert german.url == f"{live_server.url}/de/history"  # Accept-Language: de-DE
        assert german.locator("html").get_attribute("lang") == "de"
        assert german.get_by_role("heading", level=1).inner_text() == "Störungsverlauf"
        # A link inside the German page stays German.
        german.get_by_role("navigation", name="Statusseite").get_by_role(
            "link", name="Status"
        ).click()
        assert german.url == f"{live_server.url}/de/"
        # The switch: a plain link to the same page in Japanese...
        german.get_by_role("navigation", name="Sprache").get_by_role("link", name="日本語").click()
        assert german.url == f"{live_server.url}/ja/"
        assert german.locator("html").get_attribute("lang") == "ja"
        assert german.get_by_role("link", name="インシデント履歴を見る").is_visible()
        # ... and English sticks for this German browser, on the page and after it.
        german.get_by_role("navigation", name="言語").get_by_role("link", name="English").click()
        assert german.url == f"{live_server.url}/?lang=en"
        assert german.locator("html").get_attribute("lang") == "en"
        german.get_by_role("link", name="View incident history").click()
        assert german.url == f"{live_server.url}/history"

        japanese = browser.new_context(locale="ja-JP", timezone_id="UTC").new_page()
        japanese.goto(f"{live_server.url}/incidents/{incident}")
        assert japanese.url == f"{live_server.url}/ja/incidents/{incident}"
        facts = japanese.locator("dl.facts").inner_text()
        assert "開始" in facts and "UTC" in facts  # localised dates, the zone named
        browser.close()


def test_every_shipped_language_passes_axe_and_arabic_reads_right_to_left(
    live_server: LiveServer, transactional_db: None
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", verbosity=0)
    incident = Incident.objects.exclude(status="resolved").get().public_id
    pages = ("/", f"/incidents/{incident}", "/history", "/subscribe")
    axe_source = AXE.read_text()
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        for code, _name in settings.LANGUAGES:
            prefix = "" if code == "en" else f"/{code}"
            for path in pages:
                page.goto(f"{live_server.url}{prefix}{path}")
                assert page.locator("html").get_attribute("lang") == code
                page.evaluate(axe_source)  # through DevTools: the page's CSP does not apply
                result = page.evaluate(
                    "async (rules) => await axe.run(document,"
                    " {runOnly: {type: 'tag', values: rules}})",
                    RULES,
                )
                found[f"{prefix}{path}"] = [
                    f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                    for v in result["violations"]
                ]
        # Arabic mirrors: the page reads right to left, the navigation sits at the left
        # edge where English has it at the right, a card's accent border on the right.
        page.goto(f"{live_server.url}/ar/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        brand = page.locator(".brand").bounding_box()
        nav = page.locator(".site-nav").bounding_box()
        assert brand is not None and nav is not None and brand["x"] > nav["x"]
        page.goto(f"{live_server.url}/")
        brand = page.locator(".brand").bounding_box()
        nav = page.locator(".site-nav").bounding_box()
        assert brand is not None and nav is not None and brand["x"] < nav["x"]
        page.goto(f"{live_server.url}/ar/incidents/{incident}")
        border = page.evaluate(
            "() => { const s = getComputedStyle(document.querySelector('.timeline__item'));"
            " return [s.borderRightWidth, s.borderLeftWidth]; }"
        )
        assert border[0] != "0px" and border[1] == "0px", border
        browser.close()
    failures = {where: problems for where, problems in found.items() if problems}
    assert not failures, "\n".join(f"{w}: {p}" for w, p in failures.items())
    assert len(found) == len(settings.LANGUAGES) * len(pages)
