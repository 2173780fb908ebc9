"""The page survives a surge and a failing origin behind a real caching proxy: nginx's
proxy_cache serves Candor's page from its copy, keeps serving it while it fetches the next
(stale-while-revalidate) and serves it when the origin is gone (stale-if-error), because of
the Cache-Control Candor sends (incidents/public/cache_control.py), not because nginx was
told to. A control run with those directives off gets the proxy's 502."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.db import connections

from incidents import lifecycle
from incidents.audit import Actor
from tests.cdn.nginx import CachingProxy, caching_proxy, free_port
from tests.factories import ComponentFactory, promised

pytestmark = pytest.mark.django_db(transaction=True)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Origin:
    """Candor's production WSGI application on a loopback port, stoppable mid-test."""

    def __init__(self) -> None:
        from statuspage.wsgi import application

        def closing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            # Each request runs on a thread of its own: its connection must not outlive it.
            try:
                return list(application(environ, start_response))
            finally:
                connections.close_all()

        self.port = free_port()
        self.server = make_server(
            "127.0.0.1", self.port, closing, server_class=_ThreadingServer,
            handler_class=_Quiet,
        )  # fmt: skip
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def origin() -> Iterator[Origin]:
    served = Origin()
    yield served
    served.stop()


@pytest.fixture
def proxy(origin: Origin, tmp_path: Path) -> Iterator[CachingProxy]:
    running = caching_proxy(tmp_path, origin.port)
    yield running
    running.stop()


def _expire(seconds: float) -> None:
    # Waiting for the proxy's copy to age past s-maxage; nothing here is timed.
    time.sleep(seconds + 1.1)


def _short_lifetimes(settings: Any, *, stale: bool) -> None:
    settings.CANDOR_PUBLIC_MAX_AGE = 1
    settings.CANDOR_PUBLIC_SHARED_MAX_AGE = 1
    settings.CANDOR_PUBLIC_STALE_WHILE_REVALIDATE = 600 if stale else 0
    settings.CANDOR_PUBLIC_STALE_IF_ERROR = 86400 if stale else 0


def test_the_proxy_serves_the_page_when_the_origin_is_gone(
    origin: Origin, proxy: CachingProxy, settings: Any
) -> None:
    _short_lifetimes(settings, stale=True)
    ComponentFactory(name="Checkout API")
    first = proxy.get("/")
    assert (first.status, first.cache) == (200, "MISS")
    assert b"Checkout API" in first.body
    assert "stale-if-error=86400" in first.headers["Cache-Control"]
    assert proxy.get("/").cache == "HIT"

    origin.stop()
    _expire(1)
    during = proxy.get("/")
    assert during.status == 200, proxy.log()
    assert during.cache == "STALE"
    assert during.body == first.body
    # JSON readers too (the v2 API is what other status pages and scripts poll).
    assert proxy.get("/api/v2/status.json").status == 502  # never fetched: nothing to serve


def test_without_the_stale_directives_the_proxy_can_only_answer_502(
    origin: Origin, proxy: CachingProxy, settings: Any
) -> None:
    _short_lifetimes(settings, stale=False)
    ComponentFactory(name="Checkout API")
    assert proxy.get("/").status == 200
    origin.stop()
    _expire(1)
    assert proxy.get("/").status == 502


def test_after_a_change_readers_get_the_copy_while_the_proxy_fetches_the_next(
    origin: Origin, proxy: CachingProxy, settings: Any, actor: Actor
) -> None:
    _short_lifetimes(settings, stale=True)
    ComponentFactory(name="Checkout API")
    before = proxy.get("/")
    assert b"Payments are failing" not in before.body
    lifecycle.incident_open(
        actor=actor, name="Payments are failing", body=promised("We are investigating.")
    )
    _expire(1)
    # The first reader after expiry is answered from the copy at once...
    served = proxy.get("/")
    assert (served.status, served.cache) == (200, "STALE")
    assert served.body == before.body
    # ...while the proxy fetched the new page in the background for the next readers.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        after = proxy.get("/")
        if b"Payments are failing" in after.body:
            break
        time.sleep(0.2)
    assert b"Payments are failing" in after.body
