"""The console in the staff member's language, in a real Chromium: a responder whose choice
is German posts an update in German (from a browser that asks for English), switches the
console to English and back; the Arabic console reads right to left and passes axe-core.

ORM work happens before the browser starts or after it stops (see test_console_flow.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import lifecycle, roles
from incidents.audit import Actor
from incidents.models import Incident, StaffLanguage
from tests.conftest import staff_user
from tests.factories import ComponentFactory, GroupFactory, promised

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

UPDATE_TEXT = "Ein defekter Datenbankknoten ist die Ursache; der Verkehr geht auf ein Replikat."


def _browser(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
    )


def _staff(username: str, language: str) -> None:
    user = staff_user(username, roles.RESPONDER)
    StaffLanguage.objects.create(user=user, language=language, updated_at=timezone.now())


def _incident() -> Incident:
    checkout = ComponentFactory(name="Kasse", group=GroupFactory(name="Shop"))
    return lifecycle.incident_open(
        actor=Actor.system("test"),
        name="Zahlungen schlagen fehl",
        body=promised("Wir untersuchen Fehler beim Bezahlen."),
        components={checkout: "partial_outage"},
    )


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/console/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("button[type=submit]").click()


def test_a_german_responder_posts_an_update_in_german(
    live_server: LiveServer, transactional_db: None
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _staff("greta", "de")
    incident = _incident()
    update_text = promised(UPDATE_TEXT)
    errors: list[str] = []

    with sync_playwright() as playwright:
        browser = _browser(playwright)
        # The browser asks for English: the stored choice wins once she is signed in.
        page = browser.new_context(locale="en-US").new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(f"{live_server.url}/console/")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()  # not yet known
        _sign_in(page, live_server.url, "greta")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="1 offene Störung")).to_be_visible()

        page.get_by_role("link", name="Zahlungen schlagen fehl").first.click()
        expect(page.get_by_role("heading", name="Eine Meldung veröffentlichen")).to_be_visible()
        page.get_by_role("combobox", name="Status", exact=True).select_option("identified")
        expect(
            page.get_by_role("combobox", name="Status", exact=True).locator("option:checked")
        ).to_have_text("Ursache gefunden")
        page.get_by_role("textbox", name="Meldung", exact=True).fill(update_text)
        expect(page.locator("#id_body_preview")).to_contain_text("Datenbankknoten")
        page.get_by_role("button", name="Meldung veröffentlichen").click()
        expect(page.get_by_text("Meldung veröffentlicht.")).to_be_visible()
        expect(page.locator(".timeline")).to_contain_text(UPDATE_TEXT)

        # The switch: English for now, stored; then back to German.
        page.get_by_label("Sprache der Konsole").select_option("en")
        page.get_by_role("button", name="Sprache wechseln").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", name="Post an update")).to_be_visible()
        page.get_by_label("Console language").select_option("de")
        page.get_by_role("button", name="Change language").click()
        expect(page.get_by_role("heading", name="Eine Meldung veröffentlichen")).to_be_visible()
        browser.close()

    assert errors == []
    incident.refresh_from_db()
    assert incident.status == "identified"
    latest = incident.updates.order_by("-created_at").first()
    assert latest is not None and UPDATE_TEXT in latest.body
    assert StaffLanguage.objects.get(user__username="greta").language == "de"


def test_the_arabic_console_reads_right_to_left_and_passes_axe(
    live_server: LiveServer, transactional_db: None
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    _staff("amal", "ar")
    _staff("eve", "en")
    incident = _incident().public_id
    pages = ("/console/", f"/console/incidents/{incident}/", "/console/incidents/new/")
    axe_source = AXE.read_text()
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _sign_in(page, live_server.url, "amal")
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            assert page.locator("html").get_attribute("lang") == "ar"
            assert page.locator("html").get_attribute("dir") == "rtl"
            page.evaluate(axe_source)  # through DevTools: the page's CSP does not apply
            result = page.evaluate(
                "async (rules) => await axe.run(document, {runOnly: {type: 'tag', values: rules}})",
                RULES,
            )
            found[path] = [
                f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
            ]
        # Mirrored: the brand at the right edge, the account controls at the left; the
        # timeline's rule on the right.
        page.goto(f"{live_server.url}/console/incidents/{incident}/")
        brand = page.locator(".brand").bounding_box()
        user = page.locator(".topbar__user").bounding_box()
        assert brand is not None and user is not None and brand["x"] > user["x"]
        border = page.evaluate(
            "() => { const s = getComputedStyle(document.querySelector('.timeline__item'));"
            " return [s.borderRightWidth, s.borderLeftWidth]; }"
        )
        assert border[0] != "0px" and border[1] == "0px", border

        english = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _sign_in(english, live_server.url, "eve")
        assert english.locator("html").get_attribute("dir") == "ltr"
        brand = english.locator(".brand").bounding_box()
        user = english.locator(".topbar__user").bounding_box()
        assert brand is not None and user is not None and brand["x"] < user["x"]
        browser.close()
    failures = {where: problems for where, problems in found.items() if problems}
    assert not failures, "\n".join(f"{w}: {p}" for w, p in failures.items())
    assert len(found) == len(pages)
