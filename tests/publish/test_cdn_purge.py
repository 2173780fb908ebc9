"""The CDN hears of every publish, coalesced: the first change after a quiet spell purges
at once, a burst within the interval is held and purged together once (a trailing purge),
and a CDN that fails is tried a bounded number of times. Purges go to a real HTTP server
on loopback, shaped as the CDN's API is configured (method, headers, body)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from incidents import lifecycle
from incidents.audit import Actor
from incidents.publish import purge
from tests.factories import promised
from tests.notify.peers import HttpPeer

pytestmark = pytest.mark.django_db


def _cdn_api(peer: HttpPeer, request: dict[str, Any]) -> tuple[int, bytes]:
    peer.requests.append(request)
    return (peer.queue.pop(0) if peer.queue else 200), b'{"success": true}'


@pytest.fixture
def cdn(settings: Any) -> Any:
    peer = HttpPeer(_cdn_api).start()
    settings.CANDOR_CDN_PURGE_URL = f"{peer.url}/client/v4/zones/zone-1/purge_cache"
    settings.CANDOR_CDN_PURGE_HEADERS = ["Authorization: Bearer cdn-token"]
    settings.CANDOR_CDN_PURGE_INTERVAL = 5
    for key in (purge.LAST, purge.HELD, purge.TRAILING.key):
        cache.delete(key)
    yield peer
    peer.stop()


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The trailing purges asked for (the worker that would run them is the test)."""
    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(purge, "enqueue", lambda name, **options: asked.append(options))
    return asked


def test_a_burst_of_changes_is_two_purges_not_ten(cdn: HttpPeer, queued: list[Any]) -> None:
    assert purge.purge_soon(now=1000.0) == "sent"
    assert len(cdn.requests) == 1
    for n in range(1, 10):
        assert purge.purge_soon(now=1000.0 + n * 0.4) == "held"
    assert len(cdn.requests) == 1
    assert all(q["coalesce"] is purge.TRAILING for q in queued)  # one queued run serves all
    assert queued[0]["countdown"] == pytest.approx(4.6)
    # The worker runs the trailing purge when the interval is over: one purge for nine.
    assert purge.purge_held(now=1005.0) == "sent"
    assert purge.purge_held(now=1006.0) == "nothing held"
    assert len(cdn.requests) == 2
    # After a quiet spell the next change purges at once again.
    assert purge.purge_soon(now=1020.0) == "sent"
    assert len(cdn.requests) == 3


def test_the_purge_is_what_the_cdn_api_wants(cdn: HttpPeer, queued: list[Any]) -> None:
    purge.purge_soon(now=1000.0)
    (request,) = cdn.requests
    assert request["path"] == "/client/v4/zones/zone-1/purge_cache"
    assert request["headers"]["authorization"] == "Bearer cdn-token"
    assert json.loads(request["body"]) == {"purge_everything": True}


def test_a_failing_cdn_is_tried_three_times_then_left_to_the_next_change(
    cdn: HttpPeer, queued: list[Any]
) -> None:
    cdn.queue.extend([503, 503, 503])
    assert purge.purge_soon(now=1000.0) == "failed"
    assert purge.purge_held(now=1005.0) == "failed"
    assert purge.purge_held(now=1010.0) == "failed"
    assert len(queued) == 2  # after the first and second failures; the third gives up
    assert purge.purge_held(now=1015.0) == "nothing held"
    assert len(cdn.requests) == 3


def test_every_publish_purges_the_cdn(
    cdn: HttpPeer, mirror: Path, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(actor=actor, name="API errors", body=promised("Investigating."))
    assert len(cdn.requests) == 1


def test_without_a_url_nothing_is_sent(settings: Any) -> None:
    settings.CANDOR_CDN_PURGE_URL = ""
    assert purge.purge_soon() == "off"
