"""After a change, readers get the previous bytes until the new ones are ready."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.audit import Actor
from incidents.public import cache
from incidents.public.cache import Rendered, cached_render, public_changed
from tests.factories import promised

TEXT = "text/plain; charset=utf-8"


@pytest.fixture(autouse=True)
def revalidate_in_background(settings: Any) -> None:
    settings.CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND = True


class SlowRender:
    """A render that waits for the test to let it finish, counting its calls."""

    def __init__(self, body: bytes) -> None:
        self.body, self.calls = body, 0
        self.release = threading.Event()

    def __call__(self) -> Rendered:
        self.calls += 1
        self.release.wait(10)
        return Rendered(self.body, TEXT)


def _until(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_a_reader_during_a_render_gets_the_old_bytes_then_the_new() -> None:
    assert cached_render("/page", lambda: Rendered(b"old", TEXT)).rendered.body == b"old"
    public_changed()
    slow = SlowRender(b"new")
    assert cached_render("/page", slow).rendered.body == b"old"
    _until(lambda: slow.calls == 1)
    for _ in range(20):  # readers while it renders: old bytes, and no second render
        assert cached_render("/page", slow).rendered.body == b"old"
    assert slow.calls == 1
    slow.release.set()
    assert cache.revalidations_settled()
    assert cached_render("/page", slow).rendered.body == b"new"
    assert slow.calls == 1


def test_a_failed_background_render_leaves_the_next_reader_to_render() -> None:
    cached_render("/page", lambda: Rendered(b"old", TEXT))
    public_changed()

    def broken() -> Rendered:
        raise RuntimeError("the template broke")

    assert cached_render("/page", broken).rendered.body == b"old"
    assert cache.revalidations_settled()
    assert cached_render("/page", lambda: Rendered(b"new", TEXT)).rendered.body == b"new"


@pytest.mark.django_db(transaction=True)
def test_the_status_page_serves_the_previous_page_until_the_change_is_rendered(
    client: Client,
) -> None:
    actor = Actor.system("test")
    before = client.get("/").content
    assert b"Checkout errors" not in before
    lifecycle.incident_open(actor=actor, name="Checkout errors", body=promised("Investigating."))
    assert client.get("/").content == before  # the previous bytes, at once
    assert cache.revalidations_settled()
    assert b"Checkout errors" in client.get("/").content


def test_a_page_that_is_gone_stops_being_served_once_its_render_says_so() -> None:
    cached_render("/page", lambda: Rendered(b"old", TEXT))
    public_changed()
    gone = Rendered(b"not found", TEXT, status=404)
    assert cached_render("/page", lambda: gone).rendered.body == b"old"
    assert cache.revalidations_settled()
    assert cached_render("/page", lambda: gone).rendered.status == 404
