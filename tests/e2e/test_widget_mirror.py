"""The badge and the embeddable widget in a real Chromium, from the static mirror with the
app stopped; and Atlassian's own @statuspage/status-widget against a live Candor.

The mirror is the published snapshot served by a plain static server on loopback, doing
what deploy/nginx-mirror.conf does (try_files $uri $uri.html, CORS on /api/v2/). The host
page that embeds them is served from another origin, as a customer's site would be, with
hostile CSS of its own.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import ComponentStatus
from incidents.public import cache
from incidents.publish.snapshot import render_snapshot
from incidents.publish.targets.local import LocalTarget
from tests.factories import ComponentFactory, promised

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
STATUSPAGE_WIDGET = ROOT / "node_modules" / "@statuspage" / "status-widget" / "dist" / "index.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ACTOR = Actor.system("test")
HOSTILE_NAME = '<img src=x onerror="window.pwned=1"> Elevated & "errors"'

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

# The customer's own stylesheet, as unkind as it gets: none of it may reach the widget.
HOST_CSS = (
    "* { color: #ff00ff !important; text-transform: uppercase !important;"
    " font-family: serif !important; }"
    " div, p, a { display: none !important; }"
)


def _host_page(body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Customer site</title><style>{HOST_CSS}</style></head>"
        f"<body><main><h1>Our product</h1>{body}</main></body></html>"
    )


class _MirrorHandler(SimpleHTTPRequestHandler):
    """deploy/nginx-mirror.conf in a few lines: a page without its .html, CORS on the API."""

    def translate_path(self, path: str) -> str:
        found = super().translate_path(path)
        if not Path(found).exists() and Path(found + ".html").is_file():
            return found + ".html"
        return found

    def end_headers(self) -> None:
        if self.path.startswith("/api/v2/"):
            self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "public, max-age=10")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _static_server(directory: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_MirrorHandler, directory=directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def _violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (rules) => await axe.run(document, {runOnly: {type: 'tag', values: rules}})",
        RULES,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


_WIDGET_STATE = """() => {
  const host = document.querySelector('candor-status');
  const root = host && host.shadowRoot;
  if (!root) return null;
  const box = root.querySelector('.widget');
  const links = [...root.querySelectorAll('a')];
  return {
    text: box.textContent,
    role: box.getAttribute('role'),
    label: box.getAttribute('aria-label'),
    classes: box.className,
    links: links.map(a => [a.textContent, a.getAttribute('href')]),
    elements: [...root.querySelectorAll('*')].map(e => e.localName),
    linkColour: links.length ? getComputedStyle(links[0]).color : null,
    transform: getComputedStyle(box).textTransform,
    shown: links.length ? getComputedStyle(links[0]).display : null,
    pwned: window.pwned === 1,
  };
}"""


def test_badge_and_widget_render_from_the_mirror_with_the_app_stopped(
    db: None, tmp_path: Path
) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    api = ComponentFactory(name="Public API", position=1)
    ComponentFactory(name="Dashboard", position=2)
    incident = lifecycle.incident_open(
        actor=ACTOR, name=HOSTILE_NAME, body=promised("We are investigating."),
        impact="major", components={api: ComponentStatus.PARTIAL_OUTAGE},
    )  # fmt: skip
    cache.public_changed()
    LocalTarget(tmp_path / "published").push(render_snapshot(tmp_path / "render"))
    mirror = tmp_path / "published" / "current"  # the tree the mirror serves
    canonical = settings.CANDOR_CANONICAL_URL
    (tmp_path / "host").mkdir()
    # No app runs from here on: only the mirror's files and the customer's page.
    with _static_server(mirror) as mirror_url, _static_server(tmp_path / "host") as host_url:
        (tmp_path / "host" / "index.html").write_text(
            _host_page(
                f'<img src="{mirror_url}/badge.svg" alt="Service status">'
                f'<img src="{mirror_url}/badges/{api.public_id}.svg" alt="Public API status">'
                f'<script src="{mirror_url}/widget.js" async></script>'
            )
        )
        with _chromium() as browser:
            for scheme in ("light", "dark"):
                page = browser.new_page(color_scheme=scheme)
                requests: list[Any] = []
                page.on("request", lambda r, seen=requests: seen.append(r))
                page.goto(host_url + "/")
                page.wait_for_function(
                    "() => { const h = document.querySelector('candor-status');"
                    " return h && h.shadowRoot.textContent.includes('Latest incident'); }",
                    timeout=10_000,
                )
                state = page.evaluate(_WIDGET_STATE)
                assert state["role"] == "status"
                assert state["links"] == [
                    ["Partial System Outage", f"{canonical}/"],
                    [HOSTILE_NAME, f"{canonical}/incidents/{incident.public_id}"],
                ]
                assert "img" not in state["elements"] and not state["pwned"]
                assert scheme in state["classes"].split() and "partial" in state["classes"]
                # The host page's CSS does not reach inside.
                assert state["transform"] == "none" and state["shown"] == "inline"
                assert state["linkColour"] == (
                    "rgb(8, 88, 194)" if scheme == "light" else "rgb(108, 182, 255)"
                )
                # The badges decoded as images, at the width the SVG says.
                widths = page.evaluate(
                    "() => [...document.images].map(i => [i.complete, i.naturalWidth])"
                )
                assert all(complete and width > 60 for complete, width in widths), widths
                # Reachable from the keyboard: the first Tab lands on the widget's link.
                page.keyboard.press("Tab")
                focused = page.evaluate(
                    "() => document.activeElement.shadowRoot?.activeElement?.textContent"
                )
                assert focused == "Partial System Outage"
                assert _violations(page) == []
                assert {r.url.split("/")[2] for r in requests} <= {
                    host_url.split("/")[2],
                    mirror_url.split("/")[2],
                }, [r.url for r in requests]
                page.close()


def test_the_widget_survives_a_hostile_summary(tmp_path: Path) -> None:
    """Whatever a summary.json holds (a hand-edited mirror, a bug): text stays text, a
    link is http(s) or not a link, a megabyte of name is cut."""
    summary = {
        "page": {"name": "\u202eevil", "url": "javascript:alert(1)"},
        "status": {"indicator": "<b>", "description": "x" * 1_000_000},
        "incidents": [
            {"name": "<script>alert(1)</script>", "shortlink": "javascript:alert(2)",
             "status": "investigating", "started_at": "2026-01-01T00:00:00Z"},
            "not an object",
            {"name": "older", "shortlink": "https://example.invalid/",
             "status": "identified", "started_at": "2025-01-01T00:00:00Z"},
        ],
    }  # fmt: skip
    mirror = tmp_path / "mirror"
    (mirror / "api" / "v2").mkdir(parents=True)
    (mirror / "api" / "v2" / "summary.json").write_text(json.dumps(summary))
    (mirror / "widget.js").write_bytes((ROOT / "incidents" / "public" / "widget.js").read_bytes())
    (tmp_path / "host").mkdir()
    with _static_server(mirror) as mirror_url, _static_server(tmp_path / "host") as host_url:
        (tmp_path / "host" / "index.html").write_text(
            _host_page(f'<script src="{mirror_url}/widget.js"></script>')
        )
        with _chromium() as browser:
            page = browser.new_page()
            page.goto(host_url + "/")
            page.wait_for_function(
                "() => document.querySelector('candor-status')?.shadowRoot"
                ".textContent.includes('Latest incident')",
                timeout=10_000,
            )
            state = page.evaluate(_WIDGET_STATE)
    (status_text, status_href), (incident_text, incident_href) = state["links"]
    assert status_href == mirror_url + "/" and len(status_text) == 80
    assert incident_text == "<script>alert(1)</script>" and incident_href == mirror_url + "/"
    assert "script" not in state["elements"]
    assert "\u202e" not in state["label"]
    assert "major" in state["classes"]  # an unknown indicator reads as the worst


def test_atlassians_status_widget_and_ours_read_a_live_candor(
    live_server: LiveServer, transactional_db: None, tmp_path: Path
) -> None:
    assert STATUSPAGE_WIDGET.exists(), "@statuspage/status-widget is missing: run npm ci"
    api = ComponentFactory(name="Public API", position=1)
    lifecycle.component_status_set(
        actor=ACTOR, component=api, status="major_outage", now=timezone.now()
    )
    cache.public_changed()
    host = tmp_path / "host"
    host.mkdir()
    (host / "status-widget.js").write_bytes(STATUSPAGE_WIDGET.read_bytes())
    with _static_server(host) as host_url:
        (host / "index.html").write_text(
            _host_page(
                '<script src="/status-widget.js"></script>'
                f'<statuspage-widget src="{live_server.url}"></statuspage-widget>'
                f'<statuspage-widget src="{live_server.url}" appearance="badge"'
                ' title="Candor"></statuspage-widget>'
                # Ours beside it, from the live app this time.
                f'<script src="{live_server.url}/widget.js"></script>'
            )
        )
        with _chromium() as browser:
            page = browser.new_page()
            page.goto(host_url + "/")
            page.wait_for_function(
                "() => [...document.querySelectorAll('statuspage-widget')].every("
                "w => w.shadowRoot && w.shadowRoot.textContent.includes('Major Service Outage'))",
                timeout=10_000,
            )
            texts = page.evaluate(
                "() => [...document.querySelectorAll('statuspage-widget')]"
                ".map(w => [...w.shadowRoot.querySelectorAll('.status-text, .status-indicator')]"
                ".map(e => e.textContent.trim()))"
            )
            indicator = page.evaluate(
                "() => document.querySelector('statuspage-widget').shadowRoot"
                ".querySelector('.status-indicator').className"
            )
            page.wait_for_function(
                "() => document.querySelector('candor-status')?.shadowRoot"
                ".textContent.includes('Major Service Outage')",
                timeout=10_000,
            )
            ours = page.evaluate(_WIDGET_STATE)
    # Its "basic" look: the indicator's dot, then the description; its "badge": the
    # title, then the description inside the indicator.
    assert texts == [["", "Major Service Outage"], ["Candor", "Major Service Outage"]]
    assert "critical" in indicator
    assert ours["links"] == [["Major Service Outage", f"{settings.CANDOR_CANONICAL_URL}/"]]
    assert "major" in ours["classes"]


def _summary(description: str, indicator: str, incidents: list[dict[str, str]]) -> str:
    page = {"name": "Acme", "url": "https://status.example.invalid/"}
    return json.dumps(
        {"page": page, "status": {"indicator": indicator, "description": description},
         "incidents": incidents}
    )  # fmt: skip


def _until(page: Any, script: str, *, timeout: float = 10.0) -> None:
    """Poll from here: under Playwright's fake clock, wait_for_function's own timers wait."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        page.wait_for_timeout(50)


def _count(route: Any, seen: list[Any]) -> None:
    seen.append(route.request.url)
    route.continue_()


def _until_count(page: Any, seen: list[Any], n: int, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(seen) < n:
        assert time.monotonic() < deadline, f"{len(seen)} fetches, not {n}"
        page.wait_for_timeout(50)  # not time.sleep: the route handler runs in Playwright's calls


def test_the_widget_refreshes_each_minute_and_redraws_only_what_changed(tmp_path: Path) -> None:
    """Its live region would announce every redraw: an unchanged status is left as it is."""
    mirror = tmp_path / "mirror"
    (mirror / "api" / "v2").mkdir(parents=True)
    summary = mirror / "api" / "v2" / "summary.json"
    summary.write_text(_summary("All Systems Operational", "none", []))
    (mirror / "widget.js").write_bytes((ROOT / "incidents" / "public" / "widget.js").read_bytes())
    (tmp_path / "host").mkdir()
    shadow = "document.querySelector('candor-status')?.shadowRoot"
    with _static_server(mirror) as mirror_url, _static_server(tmp_path / "host") as host_url:
        (tmp_path / "host" / "index.html").write_text(
            _host_page(f'<script src="{mirror_url}/widget.js"></script>')
        )
        with _chromium() as browser:
            page = browser.new_page()
            page.clock.install()
            # Routing turns the HTTP cache off: each refresh reaches the mirror.
            fetched: list[Any] = []
            page.route("**/summary.json", lambda route: _count(route, fetched))
            page.goto(host_url + "/")
            _until(page, f"() => {shadow}?.textContent.includes('All Systems Operational')")
            page.evaluate(
                "() => { document.querySelector('candor-status').shadowRoot"
                ".querySelector('a').dataset.first = 'yes'; }"
            )
            page.clock.run_for(61_000)  # the same status again
            _until_count(page, fetched, 2)
            page.wait_for_timeout(300)  # the answer's handling
            kept = page.evaluate(f"() => {shadow}.querySelector('a').dataset.first")
            summary.write_text(
                _summary("Minor Service Outage", "minor", [
                    {"name": "Slow search", "status": "identified",
                     "shortlink": "https://status.example.invalid/incidents/abc",
                     "started_at": "2026-01-01T00:00:00Z"},
                ])
            )  # fmt: skip
            page.clock.run_for(61_000)
            _until(page, f"() => {shadow}.textContent.includes('Slow search')")
            state = page.evaluate(_WIDGET_STATE)
    assert kept == "yes"  # not redrawn for the same status
    assert state["links"][1] == ["Slow search", "https://status.example.invalid/incidents/abc"]
    assert "degraded" in state["classes"]
    assert state["text"].endswith("(Identified)")
