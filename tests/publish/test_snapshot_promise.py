"""The published copy of the site makes the same promise as the live pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import time_machine

from incidents import lifecycle
from incidents.audit import Actor
from incidents.publish.manifest import path_for_url
from incidents.publish.snapshot import render_snapshot
from tests.factories import promised

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_snapshot_says_when_the_next_update_comes(db: None, tmp_path: Path) -> None:
    with time_machine.travel(T0, tick=False):
        incident = lifecycle.incident_open(
            actor=Actor.system("test"), name="Search is slow", body=promised("Looking.")
        )
        snapshot = render_snapshot(tmp_path / "site")

    def read(url: str) -> bytes:
        return snapshot.read(path_for_url(url))

    promise = b'Next update by <time datetime="2026-11-23T12:15:00Z">12:15 UTC</time>'
    assert promise in read("/")
    assert promise in read(f"/incidents/{incident.public_id}")
    summary = json.loads(read("/api/v2/summary.json"))
    assert summary["incidents"][0]["next_update_at"] == "2026-11-23T12:15:00.000Z"
