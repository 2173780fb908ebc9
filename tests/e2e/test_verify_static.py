"""The Verify page on the published static copy, the app stopped: a plain static server
on loopback serves the snapshot, Chromium verifies in the page (WebCrypto Ed25519)
against the snapshot's keys and notices index, and axe-core finds nothing to fix."""

from __future__ import annotations

import base64
import functools
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils import timezone

from incidents import signing
from incidents.models import Incident, IncidentUpdate
from incidents.publish.snapshot import render_snapshot
from incidents.publish.targets.local import LocalTarget
from tests.e2e.test_accessibility import AXE, CHROMIUM, RULES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


class _Mirror(SimpleHTTPRequestHandler):
    """As the nginx mirror serves it: `try_files $uri $uri.html`."""

    def translate_path(self, path: str) -> str:
        found = super().translate_path(path)
        if not Path(found).is_file() and Path(found + ".html").is_file():
            return found + ".html"
        return found

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def static_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "site"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Mirror, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _axe(page: Any, source: str) -> list[str]:
    page.add_script_tag(content=source)
    result = page.evaluate(
        "async (rules) => await axe.run(document, {runOnly: {type: 'tag', values: rules}})",
        RULES,
    )
    return [f"{v['id']}: {v['help']}" for v in result["violations"]]


def test_the_verify_page_works_on_the_static_mirror_with_the_app_stopped(
    payments: Incident, static_site: tuple[Path, str], settings: Any, tmp_path: Path
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    from playwright.sync_api import sync_playwright

    settings.VAR_DIR = tmp_path / "var"
    root, base = static_site
    update = payments.updates.get()
    # An older update of the same incident, published ten days ago.
    old = IncidentUpdate.objects.create(
        incident=payments,
        status="identified",
        body="We found the cause.",
        body_html="<p>We found the cause.</p>",
        created_at=timezone.now() - timedelta(days=10),
        display_at=timezone.now() - timedelta(days=10),
    )
    # Signs every update first; served as the mirror is, the tree `current` names.
    LocalTarget(root.parent / "mirror").push(render_snapshot(root.parent / "render"))
    root.symlink_to(root.parent / "mirror" / "current")
    genuine = signing.update_signed(update)
    replayed = signing.update_signed(old)
    assert genuine is not None and replayed is not None

    # The snapshot carries the keys, the index, and the manifest's signature.
    keys = json.loads((root / ".well-known/candor-keys.json").read_bytes())
    index = json.loads((root / "verify/notices.json").read_bytes())
    assert index["count"] == 2 and set(index["shards"]) == {genuine.code[:2], replayed.code[:2]}
    for notice in (genuine, replayed):
        shard = json.loads((root / f"verify/notices/{notice.code[:2]}.json").read_bytes())
        assert notice.code in {n["code"] for n in shard["notices"]}
    sig = json.loads((root / "manifest.json.sig").read_bytes())
    key = next(k for k in keys["keys"] if k["id"] == sig["key"])
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(
        base64.b64decode(sig["signature"]), (root / "manifest.json").read_bytes()
    )

    email = f"Payments\nInvestigating\n\n{update.body}\n\nVerify this notice: {base}/verify?code="
    tampered = email.replace("investigating", "fixing") + genuine.code
    axe_source = AXE.read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        context = browser.new_context()
        page = context.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith(base) else None,
        )

        def verdict_for(text: str | None = None, query: str = "") -> str:
            page.goto(f"{base}/verify{query}")
            if text is not None:
                page.get_by_label("Message, link or code").fill(text)
                page.get_by_role("button", name="Verify").click()
            box = page.locator("[data-verdict]")
            box.wait_for()
            return f"{box.get_attribute('data-verdict')}: {box.inner_text()}"

        notices: list[str] = []
        page.on(
            "request",
            lambda r: notices.append(r.url.removeprefix(base)) if "/notices" in r.url else None,
        )
        said = verdict_for(query=f"?code={genuine.code}")
        assert said.startswith("genuine:") and "Payments" in said, said
        # The index and the one shard the code falls in, nothing more.
        assert notices == ["/verify/notices.json", f"/verify/notices/{genuine.code[:2]}.json"]
        said = verdict_for(email + genuine.code)
        assert said.startswith("genuine:"), said
        said = verdict_for(tampered)
        assert said.startswith("refused:") and "words differ" in said, said
        said = verdict_for(replayed.code)  # an old notice, presented now
        assert said.startswith("refused:") and "old" in said, said
        said = verdict_for("Your account is locked. Verify code ABCD-EFGH")
        assert said.startswith("refused:") and "not a notice of ours" in said, said
        assert not outside, f"requests left the mirror: {outside}"

        problems = {}
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            verdict_for(query=f"?code={genuine.code}")
            problems[scheme] = _axe(page, axe_source)
        browser.close()
    assert problems == {"light": [], "dark": []}
