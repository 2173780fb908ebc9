"""The snapshot renderer: the whole public site, as the live views serve it, self-contained."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import lifecycle, signing
from incidents.audit import Actor
from incidents.models import Component
from incidents.publish.manifest import MANIFEST_NAME, Manifest, Snapshot, path_for_url, sha256_of
from incidents.publish.notices import notices_forget
from incidents.publish.snapshot import render_snapshot, site_urls
from incidents.publish.versions import site_version
from incidents.uptime import past_days_forget
from tests.factories import ComponentFactory, promised

ACTOR = Actor.system("test")


@pytest.fixture
def site(db: None) -> dict[str, Any]:
    """Components in a group, an open and a resolved incident, and a maintenance window."""
    now = timezone.now()
    core = lifecycle.group_create(actor=ACTOR, name="Core platform")
    api = ComponentFactory(name="Public API", group=core, position=1)
    ComponentFactory(name="Dashboard", group=core, position=2)
    db_component = ComponentFactory(name="Database", position=3)
    old = lifecycle.incident_open(
        actor=ACTOR, name="Login failures",
        body=promised("Investigating.", now=now - timedelta(days=40)),
        impact="minor",
        components={api: "degraded_performance"}, now=now - timedelta(days=40),
    )  # fmt: skip
    lifecycle.incident_resolve(
        actor=ACTOR, incident=old, body="Fixed.", now=now - timedelta(days=40, hours=-1)
    )
    current = lifecycle.incident_open(
        actor=ACTOR, name="Elevated <b>error</b> rates", body=promised("We are **investigating**."),
        impact="major", components={db_component: "partial_outage"},
    )  # fmt: skip
    maintenance = lifecycle.maintenance_schedule(
        actor=ACTOR, name="Database upgrade", body="Upgrading PostgreSQL.",
        scheduled_for=now + timedelta(days=2), scheduled_until=now + timedelta(days=2, hours=1),
        components=[db_component],
    )  # fmt: skip
    return {"old": old, "current": current, "maintenance": maintenance}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, str]] = []  # (method, action)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src"} and value:
                self.links.append(value)
        if tag == "form":
            found = dict(attrs)
            self.forms.append(((found.get("method") or "get").lower(), found.get("action") or ""))


def _read(snapshot: Snapshot, manifest: Manifest, path: str) -> bytes:
    """The body `manifest` names for `path`, from the snapshot's object store."""
    return Snapshot(snapshot.root, manifest, snapshot.objects).read(path)


def test_the_snapshot_holds_every_page_feed_and_api_document(
    site: dict[str, Any], tmp_path: Path
) -> None:
    snapshot = render_snapshot(tmp_path / "site")
    files = snapshot.manifest.files
    for url in site_urls(now=timezone.now()):
        assert path_for_url(url) in files, url
    expected = {
        "index.html",
        "history",
        "history.atom",
        "history.rss",
        "maintenance.ics",
        f"incidents/{site['old'].public_id}",
        f"incidents/{site['current'].public_id}",
        f"maintenance/{site['maintenance'].public_id}",
        "api/v2/summary.json",
        "api/v2/status.json",
        "api/v2/components.json",
        "api/v2/incidents.json",
        "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances.json",
        "api/v2/scheduled-maintenances/upcoming.json",
        "api/v2/scheduled-maintenances/active.json",
    }
    assert expected <= set(files)
    month = (timezone.now() - timedelta(days=40)).strftime("history/%Y-%m")
    assert month in files, "the history reaches back to the oldest incident"
    assert any(p.startswith("static/") and p.endswith(".css") for p in files)
    # The script that shows times in the reader's zone, which every page loads.
    assert "static/candor/local_time.js" in files
    assert snapshot.manifest.version == site_version() > 0


def test_every_file_matches_its_manifest_entry(site: dict[str, Any], tmp_path: Path) -> None:
    snapshot = render_snapshot(tmp_path / "site")
    on_disk = Manifest.from_json((snapshot.root / MANIFEST_NAME).read_bytes())
    assert on_disk == snapshot.manifest
    for path, entry in on_disk.files.items():
        body = _read(snapshot, on_disk, path)
        assert (len(body), sha256_of(body)) == (entry.size, entry.sha256), path
    assert on_disk.files["api/v2/summary.json"].content_type.startswith("application/json")
    assert on_disk.files["index.html"].content_type == "text/html; charset=utf-8"


def test_api_documents_equal_the_live_api(
    site: dict[str, Any], tmp_path: Path, client: Client
) -> None:
    snapshot = render_snapshot(tmp_path / "site")
    documents = [p for p in snapshot.manifest.files if p.startswith("api/v2/")]
    assert len(documents) == 8
    for path in documents:
        live = client.get("/" + path)
        assert live.status_code == 200
        published = json.loads(_read(snapshot, snapshot.manifest, path))
        # Two renderings differ only in when they were made.
        assert published.pop("generated_at") <= live.json()["generated_at"]
        assert published == {k: v for k, v in live.json().items() if k != "generated_at"}, path


def test_pages_equal_the_live_pages(site: dict[str, Any], tmp_path: Path, client: Client) -> None:
    # Uptime percentages move with the clock: both renderings see the same instant.
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        snapshot = render_snapshot(tmp_path / "site")
        incident = f"incidents/{site['current'].public_id}"
        for path in ("index.html", incident, "history"):
            live = client.get("/" if path == "index.html" else "/" + path).content
            published = _read(snapshot, snapshot.manifest, path)
            # The "Last updated" stamp is the only thing two renderings may disagree on.
            stamp = re.compile(rb'<p class="updated">.*?</p>', re.S)
            assert stamp.sub(b"", published) == stamp.sub(b"", live), path
        assert b"Elevated &lt;b&gt;error&lt;/b&gt; rates" in _read(
            snapshot, snapshot.manifest, incident
        )


def test_every_link_inside_the_snapshot_resolves_inside_it(
    site: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    snapshot = render_snapshot(tmp_path / "site")
    canonical = urlsplit(settings.CANDOR_CANONICAL_URL)
    files, checked = snapshot.manifest.files, 0
    for path, entry in files.items():
        if not entry.content_type.startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(_read(snapshot, snapshot.manifest, path).decode())
        page_url = "/" if path == "index.html" else "/" + path
        for link in parser.links:
            target = urlsplit(urljoin(page_url, link))
            if target.scheme in {"mailto"} or (target.netloc and target.netloc != canonical.netloc):
                continue
            if target.path.startswith("/console"):
                continue  # the staff console is not part of the public site
            assert path_for_url(target.path) in files, f"{path} links to {link}"
            checked += 1
    assert checked > 20


LANGUAGES = {"de", "fr", "es", "ja", "ar"}


def test_the_copy_has_no_form_and_sends_subscribers_to_the_live_app(
    site: dict[str, Any], tmp_path: Path, settings: Any, client: Client
) -> None:
    settings.CANDOR_APP_URL = "https://app.example.com"
    snapshot = render_snapshot(tmp_path / "site")
    pages = 0
    for path, entry in snapshot.manifest.files.items():
        if not entry.content_type.startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(_read(snapshot, snapshot.manifest, path).decode())
        # A mirror serves files: a form there would post into a 405.
        assert parser.forms == [], path
        # In the page's own language (/de/subscribe from a German page).
        first = path.split("/", 1)[0]
        prefix = f"/{first}" if first in LANGUAGES else ""
        assert f"https://app.example.com{prefix}/subscribe" in parser.links, path
        pages += 1
    assert pages > 5 and "subscribe" in snapshot.manifest.files
    # The live page keeps its form, posting back to the app that served it.
    live = _Links()
    live.feed(client.get("/subscribe").content.decode())
    assert live.forms == [("post", "/subscribe")]


def test_rendering_is_consistent_and_costs_no_queries_per_page(
    site: dict[str, Any], tmp_path: Path
) -> None:
    for n in range(20):
        lifecycle.incident_open(
            actor=ACTOR, name=f"Incident {n}", body=promised("Looking."), impact="minor"
        )
    signing.current_signer()  # the test key is listed once: not a cost per page
    # Both renders with the uptime's past days to compute (a kept window saves a query).
    past_days_forget()
    notices_forget()  # both renders read every notice (publish/notices.py)
    with CaptureQueriesContext(connection) as few:
        render_snapshot(tmp_path / "few")
    for n in range(20, 60):
        lifecycle.incident_open(
            actor=ACTOR, name=f"Incident {n}", body=promised("Looking."), impact="minor"
        )
    past_days_forget()
    notices_forget()  # both renders read every notice (publish/notices.py)
    with CaptureQueriesContext(connection) as many:
        snapshot = render_snapshot(tmp_path / "many")
    pages = [p for p in snapshot.manifest.files if p.startswith("incidents/")]
    assert len([p for p in pages if not p.endswith("/follow")]) == 62
    # Every open incident's follow page (the site's resolved one has none).
    assert len([p for p in pages if p.endswith("/follow")]) == 61
    # Forty more incident pages, and the same number of queries.
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_component_edit_changes_the_version_and_the_rendered_site(
    site: dict[str, Any], tmp_path: Path
) -> None:
    first = render_snapshot(tmp_path / "one")
    dashboard = Component.objects.get(name="Dashboard")
    lifecycle.component_save(
        actor=ACTOR,
        component=dashboard,
        name="Customer dashboard",
        group=dashboard.group,
        position=2,
    )
    second = render_snapshot(tmp_path / "two")
    assert second.manifest.version == first.manifest.version + 1
    assert b"Customer dashboard" in _read(second, second.manifest, "index.html")


def test_with_production_static_files_assets_carry_their_content_hash(
    site: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)
    snapshot = render_snapshot(tmp_path / "site")
    assets = [p for p in snapshot.manifest.files if p.startswith("static/")]
    assert assets
    for path in assets:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", path), path
    index = _read(snapshot, snapshot.manifest, "index.html").decode()
    assert all(f"/{p}" in index for p in assets if p.endswith(".css"))


def test_a_month_page_is_read_once_a_render_whatever_the_languages(
    site: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/history and each month page are rendered in every language from one reading of
    the month (selectors.history_shared); outside a render every call reads afresh."""
    from incidents import selectors

    read: list[tuple[Any, ...]] = []
    real = selectors._month_history

    def counted(*args: Any) -> Any:
        read.append(args)
        return real(*args)

    monkeypatch.setattr(selectors, "_month_history", counted)
    snapshot = render_snapshot(tmp_path / "site")
    languages = [p for p in snapshot.manifest.files if p.endswith("/history")]
    assert len(languages) > 1  # the page exists in several languages
    assert read and len(read) == len(set(read))
    read.clear()
    now = timezone.now()
    selectors.month_history(year=now.year, month=now.month)
    selectors.month_history(year=now.year, month=now.month)
    assert len(read) == 2


def test_language_variants_are_the_fresh_pages_copies_in_other_languages() -> None:
    """What an incremental render adds to the pages it re-renders: each fresh unprefixed
    page's copies under the other languages' prefixes that the site has, nothing else
    (the same as checking every one of the site's URLs for a prefix, as it did)."""
    from incidents.public.language import language_from_path
    from incidents.publish.snapshot import language_variants

    urls = [
        "/", "/history", "/history/2026-12", "/incidents/abc", "/api/v2/summary.json",
        "/uptime.json", "/verify/notices/ab.json",
        "/de/", "/de/history", "/de/history/2026-12", "/de/incidents/abc",
        "/fr/", "/fr/history", "/ja/incidents/abc", "/ar/incidents/other",
    ]  # fmt: skip
    fresh = {"index.html", "history", "incidents/abc", "api/v2/summary.json", "de/history/2026-12"}
    paths = frozenset(path_for_url(url) for url in urls)

    # The old way: every URL with a language prefix whose unprefixed page is fresh.
    expected = {
        path_for_url(url)
        for url in urls
        if (code := language_from_path(url)) and path_for_url(url.removeprefix(f"/{code}")) in fresh
    }
    assert language_variants(fresh, paths) == expected == {
        "de/", "de/history", "de/incidents/abc", "fr/", "fr/history", "ja/incidents/abc",
    }  # fmt: skip


def test_the_answers_every_page_asks_for_are_read_once_a_render(
    site: dict[str, Any], tmp_path: Path
) -> None:
    """The header's indicator, the oldest month, the latest change: one reading a render
    (selectors.answers_shared), however many pages and languages ask; outside a render,
    every call reads afresh, and each viewer has their own answers."""
    from incidents import selectors
    from incidents.audiences.viewer import Viewer, viewing

    oldest = re.compile(r'SELECT MIN\("incidents_incident"."started_at"\)')
    with CaptureQueriesContext(connection) as captured:
        render_snapshot(tmp_path / "site")
    assert sum(1 for q in captured if oldest.search(q["sql"])) == 1

    with CaptureQueriesContext(connection) as captured:
        selectors.oldest_history_month()
        selectors.oldest_history_month()
    assert sum(1 for q in captured if oldest.search(q["sql"])) == 2

    incident = selectors.incidents_recent()[0]
    with selectors.answers_shared(), CaptureQueriesContext(connection) as captured:
        assert selectors.incident_detail(incident.public_id) == incident
        detail_queries = len(captured)
        selectors.incident_detail(incident.public_id)  # another language's page
        assert len(captured) == detail_queries
        first = selectors.incidents_recent()
        again = selectors.incidents_recent()
        selectors.oldest_history_month()
        with viewing(Viewer(audience_ids=frozenset({999}))):
            selectors.oldest_history_month()
        selectors.oldest_history_month()
    assert first == again and first is not again  # each caller its own list
    assert sum(1 for q in captured if oldest.search(q["sql"])) == 2

    with selectors.answers_shared(), CaptureQueriesContext(connection) as captured:
        selectors.oldest_history_month()
        with selectors.answers_shared():  # a render inside a render keeps the answers
            selectors.oldest_history_month()
        selectors.oldest_history_month()
    assert sum(1 for q in captured if oldest.search(q["sql"])) == 1
