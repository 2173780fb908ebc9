"""The import pages, checked by axe-core in a real Chromium, in both colour schemes: the
form, the list of runs, and a failed run's report (tests/e2e/test_accessibility.py)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from incidents.models import ImportRun
from tests.conftest import staff_user
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def test_the_import_pages_pass_axe(live_server: LiveServer, transactional_db: None) -> None:
    from playwright.sync_api import sync_playwright

    staff_user("rita", roles.ADMIN)
    now = timezone.now()
    failed = ImportRun.objects.create(
        page_id="kctbh9vrtdwd", base_url="https://api.statuspage.io/v1", state="failed",
        started_by="rita", checkpoint={"stage": "incidents", "page": 3},
        counts={"incident": {"imported": 200, "not_mapped": 1}, "group": {"imported": 3}},
        problems=[{"kind": "incident", "id": "badtimexxxxx", "reason": "created_at is missing"}],
        error="incidents: HTTP 503 after 7 attempts", created_at=now, updated_at=now,
        finished_at=now,
    )  # fmt: skip
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
            page.get_by_label("Username").fill("rita")
            page.get_by_label("Password").fill("correct-horse-battery")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/console/")
            for path in ("/console/import/", f"/console/import/{failed.public_id}/"):
                page.goto(f"{live_server.url}{path}")
                found[f"{scheme} {path}"] = _check(page, AXE.read_text())
            context.close()
        browser.close()
    assert {page: problems for page, problems in found.items() if problems} == {}
