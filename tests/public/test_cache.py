"""The public cache: compressed once, revalidated cheaply, and never a reason to fail."""

from __future__ import annotations

import gzip
import socket
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from incidents import lifecycle
from incidents.audit import Actor
from incidents.public import cache as public_cache
from tests.factories import ComponentFactory, promised

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(actor: Actor) -> None:
    ComponentFactory(name="API")
    lifecycle.incident_open(actor=actor, name="Slow API", body=promised("Looking into it."))


def test_gzip_is_served_when_accepted_and_holds_the_same_bytes(client: Client, page: None) -> None:
    plain = client.get("/")
    packed = client.get("/", HTTP_ACCEPT_ENCODING="br, gzip;q=0.8")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 2
    assert packed["ETag"] != plain["ETag"]
    assert "Accept-Encoding" in packed["Vary"]


def test_each_representation_revalidates_with_its_own_etag(client: Client, page: None) -> None:
    packed = client.get("/api/v2/summary.json", HTTP_ACCEPT_ENCODING="gzip")
    again = client.get(
        "/api/v2/summary.json", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"]
    )
    assert again.status_code == 304
    plain = client.get("/api/v2/summary.json", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert plain.status_code == 200


def test_gzip_refused_with_q_zero_is_not_sent(client: Client, page: None) -> None:
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert "Content-Encoding" not in response


def test_a_not_found_page_keeps_its_status_when_compressed(client: Client, page: None) -> None:
    response = client.get("/incidents/nosuchincident", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 404


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dead_cache() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def test_the_page_still_renders_when_redis_is_unreachable(client: Client, page: None) -> None:
    with override_settings(CACHES=_dead_cache()):  # Django resets its cache handlers for this
        assert public_cache.current_generation() is None
        response = client.get("/")
        assert response.status_code == 200
        assert b"Slow API" in response.content
        public_cache.public_changed()  # a write after its commit must not raise either


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(public_cache.time, "monotonic", fake)
    return fake


def test_a_change_made_by_another_process_shows_within_the_recheck_interval(
    client: Client, page: None, clock: _Clock, django_assert_num_queries: Any
) -> None:
    client.get("/")
    ComponentFactory(name="Billing")  # written elsewhere: this process was not told
    cache.incr(public_cache.GENERATION_KEY)  # what that other process's commit did

    clock.now += public_cache.GENERATION_RECHECK_SECONDS / 2
    with django_assert_num_queries(0):
        assert b"Billing" not in client.get("/").content

    clock.now += public_cache.GENERATION_RECHECK_SECONDS
    assert b"Billing" in client.get("/").content


def test_without_redis_renderings_are_reused_briefly_so_the_database_is_not_flooded(
    client: Client, page: None, clock: _Clock, django_assert_num_queries: Any
) -> None:
    with override_settings(CACHES=_dead_cache()):
        assert client.get("/").status_code == 200
        with django_assert_num_queries(0):
            assert client.get("/").status_code == 200
        clock.now += public_cache.UNREACHABLE_TTL_SECONDS + 0.1
        ComponentFactory(name="Billing")
        assert b"Billing" in client.get("/").content
