"""Every page a customer or a responder sees, checked by axe-core in a real Chromium.

WCAG 2.1 A and AA rules, in the light and the dark colour scheme (contrast differs), on
the demo data. axe-core is installed from npm by `make test` (package.json).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from incidents.approvers import links
from incidents.models import Component, CustomTextRequest, Incident, Maintenance
from tests.conftest import staff_user

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def _violations(page: Any) -> list[str]:
    result = page.evaluate(
        "async (rules) => await axe.run(document, {runOnly: {type: 'tag', values: rules}})",
        RULES,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def test_public_and_console_pages_pass_axe_in_both_colour_schemes(
    live_server: LiveServer, transactional_db: None
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", verbosity=0)
    # Every role, so every form of every page is there to check.
    rita = staff_user("rita", roles.ADMIN, roles.APPROVER_LEGAL)
    incident = Incident.objects.exclude(status="resolved").get().public_id
    maintenance = Maintenance.objects.get().public_id
    api = Component.objects.get(name="Public API").public_id
    _monitor_signals()
    words = _words_waiting()
    decide = f"/console/decide/{links.token_for(approver_id=rita.pk, words=words)}/"
    not_hers = f"/console/decide/{links.token_for(approver_id=rita.pk + 1000, words=words)}/"
    public = [
        *("/", f"/incidents/{incident}", f"/maintenance/{maintenance}", "/history"),
        *("/subscribe", "/verify", "/no/such/page"),  # the styled 404 page too
    ]
    console = [
        "/console/",
        f"/console/incidents/{incident}/",
        "/console/incidents/new/",
        "/console/components/",
        "/console/vendors/",  # under Components, beside Dependencies
        "/console/maintenance/",
        "/console/audit/",
        "/console/publishing/",
        "/console/branding/",
        "/console/reminders/",
        "/console/cadence/",
        "/console/contacts/",
        "/console/compliance/",
        f"/console/maintenance/{maintenance}/",
        "/console/maintenance/new/",  # an expected-impact choice beside each component
        "/console/approvals/",
        "/console/templates/",
        "/console/policy/",
        "/console/staff/",
        "/console/two-factor/",
        "/console/sources/",
        "/console/sources/new/",
        "/console/sources/prom/",
        "/console/sources/prom/delete/",
        "/console/signals/",
        "/console/signals/?unmatched=1",
        "/console/proposals/",
        "/console/dependencies/",  # the graph's SVG, its edge table
        f"/console/components/{api}/dependencies/",
        decide,  # the one-click page an approver's link opens
        not_hers,  # ... and the page saying why a link cannot be used
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
            page.goto(f"{live_server.url}/console/login/")
            found[f"{scheme} /console/login/"] = _check(page, axe_source)
            page.get_by_label("Username").fill("rita")
            page.get_by_label("Password").fill("correct-horse-battery")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/console/")
            for path in public + console:
                page.goto(f"{live_server.url}{path}")
                found[f"{scheme} {path}"] = _check(page, axe_source)
            context.close()
        browser.close()

    failures = {where: problems for where, problems in found.items() if problems}
    assert not failures, "\n".join(f"{w}: {p}" for w, p in failures.items())
    assert len(found) == 2 * (1 + len(public) + len(console))


def _monitor_signals() -> None:
    """A monitor source with a rule, a routed and an unmatched signal, and a proposal."""
    from datetime import UTC, datetime

    from incidents.audit import Actor
    from incidents.ingest import automation, sources
    from incidents.ingest.formats import ParsedSignal
    from incidents.ingest.store import signals_store
    from incidents.models import Component

    actor = Actor.system("test")
    source, _ = sources.source_create(
        actor=actor, name="prom", format="alertmanager", hold_seconds=0
    )
    sources.rule_add(actor=actor, source=source, kind="service")
    name = Component.objects.filter(status="operational").first()
    assert name is not None
    alerts = [
        ParsedSignal("a", "firing", "HighLatency", "p99 over 2 s", "critical",
                     {"service": name.name}),
        ParsedSignal("b", "firing", "DiskFull", "", "warning", {"service": "unknown"}),
    ]  # fmt: skip
    now = datetime.now(UTC)
    signals_store(source=source, signals=alerts, now=now)
    automation.signals_route(now=now)


def _words_waiting() -> CustomTextRequest:
    """Custom text waiting, so the Approvals page shows its approve and reject forms."""
    from django.contrib.auth.models import User

    from incidents.audit import Actor
    from incidents.wording import approvals

    demo = Actor.staff(User.objects.get(username="demo"), channel="console")
    return approvals.custom_text_request(
        actor=demo, body="Service is back to normal.", phase="resolved"
    )


def _check(page: Any, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol, so the page's CSP (rightly) does not apply.
    page.evaluate(axe_source)
    return _violations(page)
