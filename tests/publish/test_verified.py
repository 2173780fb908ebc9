"""The "last verified" stamp: the checker reads each copy's own manifest and stamps only
the copies that serve the current version; a copy that fell behind keeps its old stamp,
and the page (in a real Chromium, from the static mirror) says it may be out of date."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.audit import Actor
from incidents.publish import service, verified
from incidents.publish.targets.local import LocalTarget
from incidents.publish.versions import site_version
from tests.e2e.test_accessibility import AXE, CHROMIUM, _check
from tests.factories import ComponentFactory, promised
from tests.publish.test_s3_target import keys, make_target

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def _stamp(mirror: Path) -> dict[str, Any]:
    return json.loads((mirror / "current" / "verified.json").read_bytes())  # type: ignore[no-any-return]


def test_a_current_copy_is_stamped_and_a_copy_that_fell_behind_keeps_its_old_stamp(
    mirror: Path, django_capture_on_commit_callbacks: Any
) -> None:
    ComponentFactory(name="API")
    service.publish()
    first = site_version()
    assert verified.stamp_targets(now=T0) == {"local": "verified"}
    assert _stamp(mirror) == {"verified_at": "2026-12-07T04:00:00Z", "version": first}

    # A change the copy never received (its publish lost): the next check does not stamp.
    with django_capture_on_commit_callbacks(execute=False):
        lifecycle.incident_open(actor=ACTOR, name="API errors", body=promised("Looking."))
    assert verified.stamp_targets(now=T0 + timedelta(minutes=1)) == {"local": "behind"}
    assert _stamp(mirror)["verified_at"] == "2026-12-07T04:00:00Z"

    service.publish()
    assert verified.stamp_targets(now=T0 + timedelta(minutes=2)) == {"local": "verified"}
    assert _stamp(mirror) == {"verified_at": "2026-12-07T04:02:00Z", "version": first + 1}


def test_the_live_app_answers_with_the_last_check(mirror: Path, client: Client) -> None:
    empty = client.get("/verified.json")
    assert empty.status_code == 200 and empty.json() == {"verified_at": None, "version": None}
    service.publish()
    verified.stamp_targets(now=T0)
    assert client.get("/verified.json").json()["verified_at"] == "2026-12-07T04:00:00Z"
    assert empty["Access-Control-Allow-Origin"] == "*"


def test_a_bucket_keeps_its_stamp_across_pushes(
    s3_server: Any, s3: Any, bucket: str, tmp_path: Path
) -> None:
    from incidents.publish.snapshot import render_snapshot

    target = make_target(s3_server.url, bucket)
    target.push(render_snapshot(tmp_path / "one"))
    target.stamp("verified.json", verified.stamp_document(version=1, at=T0))
    ComponentFactory(name="API")
    target.push(render_snapshot(tmp_path / "two"))  # removes what the new version lacks...
    assert "verified.json" in keys(s3, bucket)  # ...but not the stamp
    body = s3.get_object(Bucket=bucket, Key="verified.json")
    assert body["ContentType"] == "application/json"


class _Mirror(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium")
def test_the_page_from_the_mirror_shows_the_stamp_and_says_when_it_is_old(
    mirror: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    ComponentFactory(name="API")
    service.publish()
    served = LocalTarget(mirror).current_dir()
    assert served is not None
    handler = functools.partial(_Mirror, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    stamp = served / "verified.json"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page()
            stamp.write_bytes(verified.stamp_document(version=1, at=datetime.now(UTC)))
            page.goto(url)
            box = page.locator("[data-candor-verified]")
            box.wait_for(state="visible", timeout=10000)
            assert box.inner_text().startswith("Last verified ")
            assert "out of date" not in box.inner_text()
            assert _check(page, AXE.read_text()) == []

            old = datetime.now(UTC) - timedelta(minutes=42)
            stamp.write_bytes(verified.stamp_document(version=1, at=old))
            page.goto(url)
            box.wait_for(state="visible", timeout=10000)
            assert "42 minutes ago: this copy may be out of date" in box.inner_text()
            assert _check(page, AXE.read_text()) == []

            stamp.unlink()  # a copy without a stamp shows the page's own time only
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert box.is_hidden()
            browser.close()
    finally:
        server.shutdown()
