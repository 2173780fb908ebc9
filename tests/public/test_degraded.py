"""Public responses while the database is unreachable: the last published snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from incidents.public import cache
from incidents.public.cache import Rendered, public_response
from incidents.publish.manifest import FileEntry, Manifest, Snapshot, sha256_of
from incidents.publish.snapshot import render_snapshot
from incidents.publish.targets.local import LocalTarget

PAGE = b"<p>Published page</p>"


@pytest.fixture
def published(settings: Any, tmp_path: Path) -> Path:
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_bytes(PAGE)
    entry = FileEntry(sha256_of(PAGE), len(PAGE), "text/html; charset=utf-8")
    manifest = Manifest(7, datetime(2026, 11, 23, 12, 0, tzinfo=UTC), {"index.html": entry})
    LocalTarget(tmp_path / "mirror").push(Snapshot(site, manifest))
    return tmp_path / "mirror"


class Database:
    """A render that fails as Django does when PostgreSQL is unreachable, and counts."""

    def __init__(self) -> None:
        self.tries = 0

    def render(self) -> Rendered:
        self.tries += 1
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_the_snapshot_answers_marked_stale_with_its_age(published: Path) -> None:
    answer = public_response(RequestFactory().get("/"), "/", Database().render)
    assert answer.status_code == 200 and answer.content == PAGE
    assert answer["X-Candor-Stale"] == "true"
    assert answer["Last-Modified"] == "Mon, 23 Nov 2026 12:00:00 GMT"
    assert answer["Content-Type"] == "text/html; charset=utf-8"


def test_a_path_the_snapshot_lacks_is_a_404_and_no_snapshot_a_503(
    published: Path, settings: Any, tmp_path: Path
) -> None:
    answer = public_response(RequestFactory().get("/nope"), "/nope", Database().render)
    assert (answer.status_code, answer["X-Candor-Stale"]) == (404, "true")
    cache.reset()
    settings.CANDOR_MIRROR_DIR = tmp_path / "empty"
    answer = public_response(RequestFactory().get("/"), "/", Database().render)
    assert (answer.status_code, answer["Retry-After"]) == (503, "30")
    # Never cached: a CDN in front keeps serving its last copy instead (stale-if-error).
    assert answer["Cache-Control"] == "no-store"


def test_after_a_failure_the_database_rests_for_a_few_seconds(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database()
    for _ in range(20):
        assert public_response(RequestFactory().get("/"), "/", database.render).status_code == 200
    assert database.tries == 1, "one connect timeout, not twenty"
    monkeypatch.setattr(cache, "DATABASE_RETRY_SECONDS", 0.0)
    cache._database_down_until = 0.0
    public_response(RequestFactory().get("/"), "/", database.render)
    assert database.tries == 2, "tried again once the rest is over"


@pytest.mark.django_db
def test_a_stale_page_says_as_of_when(settings: Any, tmp_path: Path) -> None:
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    snapshot = render_snapshot(tmp_path / "site")  # the site as it is published
    LocalTarget(tmp_path / "mirror").push(snapshot)
    cache.reset()

    answer = public_response(RequestFactory().get("/"), "/", Database().render)

    text = answer.content.decode()
    when = snapshot.manifest.generated_at.strftime("%H:%M UTC")
    assert f"Showing the status as of {when}" in text
    assert text.index("Showing the status as of") < text.index('id="main"') + 200
