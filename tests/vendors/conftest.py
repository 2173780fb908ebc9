from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.vendors.peers import VendorPeer

DOCUMENTS = Path(__file__).parent / "documents"


@pytest.fixture(autouse=True)
def _vendor_settings(settings: Any) -> None:
    settings.CANDOR_VENDOR_ALLOW_PRIVATE = True  # the vendors live on loopback
    settings.CANDOR_VENDOR_TIMEOUT = 1
    settings.CANDOR_VENDOR_PARALLEL = 4


@pytest.fixture
def vendor_peer() -> Iterator[VendorPeer]:
    peer = VendorPeer().start()
    yield peer
    peer.stop()


def summary(**statuses: str) -> dict[str, Any]:
    """The saved GitHub-shaped summary.json, with some components' statuses changed (by
    component id)."""
    document = json.loads((DOCUMENTS / "statuspage_summary.json").read_text())
    for component in document["components"]:
        if component["id"] in statuses:
            component["status"] = statuses[component["id"]]
    return document


def summary_bytes(**statuses: str) -> bytes:
    return json.dumps(summary(**statuses)).encode()


def feed(*entries: tuple[str, str, datetime]) -> bytes:
    """An Atom status history like Statuspage's history.atom: (title, phase, at) each."""
    entry = (DOCUMENTS / "status_feed_entry.xml").read_text()
    rendered = [
        entry.replace("{ID}", str(n))
        .replace("{AT}", at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        .replace("{TITLE}", title)
        .replace("{PHASE}", phase)
        .replace("{BODY}", f"{title}: {phase.lower()}.")
        for n, (title, phase, at) in enumerate(entries, start=1)
    ]
    newest = max((at for _t, _p, at in entries), default=datetime(2026, 1, 1, tzinfo=UTC))
    return (
        (DOCUMENTS / "status_feed.atom")
        .read_text()
        .replace("{UPDATED}", newest.strftime("%Y-%m-%dT%H:%M:%SZ"))
        .replace("{ENTRIES}", "\n".join(rendered))
        .encode()
    )
