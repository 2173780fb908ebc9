from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from tests.importer.peer import StatuspagePeer, realistic_page


@pytest.fixture
def importing(settings: Any) -> None:
    """The peer is on loopback: let the importer (and webhook addresses) reach it."""
    settings.CANDOR_IMPORT_ALLOW_PRIVATE = True
    settings.CANDOR_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def small_peer(importing: None) -> Iterator[StatuspagePeer]:
    """A page of 250 incidents (3 pages of them) and 300 subscribers."""
    peer = StatuspagePeer(realistic_page(now=timezone.now(), incidents=250, subscribers=300))
    peer.start()
    yield peer
    peer.stop()
