"""The reliability report's pages, checked by axe-core in a real Chromium (as
test_accessibility.py checks the rest), on the demo data with the report on: both colour
schemes, and a narrow screen where its tables scroll."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from incidents.audit import Actor
from incidents.models import Component
from incidents.reliability.periods import month_of, quarter_of
from incidents.reliability.visibility import FIGURES, report_visibility_set
from tests.conftest import staff_user
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def test_report_pages_pass_axe(live_server: LiveServer, transactional_db: None) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", verbosity=0)
    report_visibility_set(
        actor=Actor.system("test"), enabled=True, figures=list(FIGURES), hidden=[]
    )
    staff_user("rita", roles.ADMIN)
    now = timezone.now()
    api = Component.objects.get(name="Public API").public_id
    paths = [
        "/report",
        f"/report/{month_of(now).slug}",
        f"/report/{month_of(now).previous().slug}",
        f"/report/{quarter_of(now).slug}",
        f"/report/components/{api}",
    ]
    axe_source = AXE.read_text()
    found: dict[str, list[str]] = {}
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        for scheme, width in (("light", 1280), ("dark", 1280), ("light", 360)):
            context = browser.new_context(
                color_scheme=scheme, viewport={"width": width, "height": 800}
            )
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            for path in paths:
                response: Any = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, path
                found[f"{scheme} {width} {path}"] = _check(page, axe_source)
            # The settings page, signed in as an Admin.
            page.goto(f"{live_server.url}/console/login/")
            page.get_by_label("Username").fill("rita")
            page.get_by_label("Password").fill("correct-horse-battery")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/console/")
            page.goto(f"{live_server.url}/console/report/")
            found[f"{scheme} {width} /console/report/"] = _check(page, axe_source)
            context.close()
        browser.close()
    failures = {where: problems for where, problems in found.items() if problems}
    assert not failures, "\n".join(f"{w}: {p}" for w, p in failures.items())
    assert all(url.startswith(live_server.url) for url in requests), "a third-party asset"
