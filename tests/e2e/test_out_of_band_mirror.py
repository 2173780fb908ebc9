"""An update posted with the out-of-band CLI, read in a real Chromium from the static
mirror with the app out of the picture (publish/oob_post.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.e2e.test_widget_mirror import CHROMIUM, _chromium, _MirrorHandler, _violations
from tests.publish.test_out_of_band import post_monitoring, site_build

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


class _PagesFirst(_MirrorHandler):
    """As nginx's `try_files $uri $uri.html`: an open incident's page is
    incidents/<id>.html beside the directory of its follow page, and wins over it."""

    def translate_path(self, path: str) -> str:
        found = super().translate_path(path)
        if Path(found).is_dir() and Path(found.rstrip("/") + ".html").is_file():
            return found.rstrip("/") + ".html"
        return found


@contextmanager
def _static_server(directory: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_PagesFirst, directory=directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_reader_sees_the_out_of_band_update_on_the_mirror(
    settings: Any, tmp_path: Path, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    site = site_build(settings, tmp_path, None, "", responder, django_capture_on_commit_callbacks)
    done = post_monitoring(site)
    assert done.returncode == 0, done.stderr
    incident = site.incident.public_id
    with _static_server(site.mirror / "current") as mirror_url, _chromium() as browser:
        page = browser.new_page(bypass_csp=True)
        answer = page.goto(f"{mirror_url}/incidents/{incident}")
        assert answer is not None and answer.status == 200, page.content()[:2000]
        newest = page.locator(f'ol[data-timeline="{incident}"] > li').first
        assert "A fix has been applied" in newest.inner_text()
        assert "Monitoring" in newest.locator(".timeline__status").inner_text()
        assert page.locator("[data-incident-status]").inner_text() == "Monitoring"
        assert page.locator(f'ol[data-timeline="{incident}"] > li').count() == 2
        assert _violations(page) == []
        page.goto(f"{mirror_url}/")
        card = page.locator(f'article[aria-labelledby="incident-{incident}"]')
        assert "A fix has been applied" in card.locator("li").first.inner_text()
        page.goto(f"{mirror_url}/de/incidents/{incident}")
        assert (
            "A fix has been applied" in page.locator(f'ol[data-timeline="{incident}"]').inner_text()
        )
        page.close()
