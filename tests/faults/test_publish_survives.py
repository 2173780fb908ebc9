"""Fault tests on real processes: the public site keeps answering, and keeps being
published, when the database or the worker is gone.

One stack per module (tests/faults/stack.py): private PostgreSQL and Redis, granian, and a
real Celery worker; the tests stop and start its parts.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.stack import Stack, running_stack

pytestmark = pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
    reason="needs PostgreSQL's server binaries",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as stack:
        yield stack


def test_updates_publish_through_the_worker_and_without_it(stack: Stack) -> None:
    stack.start_worker()
    incident = stack.open_incident("Elevated API errors")
    opened = stack.mirror_version()
    stack.wait_until(lambda: (stack.mirror_version() or 0) >= 1, "the worker's publish")

    # A clean stop: the worker clears its heartbeat, the web publishes by itself, in a
    # background thread of its own (the request does not wait for the render).
    stack.stop_worker()
    before = stack.mirror_version() or 0
    stack.post_update(incident, "The cause is a failed cache node; failing over.")
    stack.wait_until(lambda: (stack.mirror_version() or 0) > before, "the web's own publish")
    page = (stack.mirror / "current" / f"incidents/{incident}.html").read_text()
    assert "failing over" in page
    del opened

    # Killed with SIGKILL: its heartbeat lingers for a few seconds, so the update is
    # queued for a worker that will never run it; the web's watchdog publishes it.
    stack.start_worker()
    stack.stop_worker(sig=signal.SIGKILL)
    before = stack.mirror_version() or 0
    stack.post_update(incident, "Failover complete; error rates are falling.")
    stack.wait_until(lambda: (stack.mirror_version() or 0) > before, "the watchdog's publish")
    page = (stack.mirror / "current" / f"incidents/{incident}.html").read_text()
    assert "Failover complete" in page


def test_the_live_site_answers_from_the_snapshot_while_the_database_is_down(
    stack: Stack,
) -> None:
    stack.open_incident("Payments delayed")
    stack.wait_until(lambda: stack.mirror_version() is not None, "a first publish")
    stack.manage("publish")  # whatever was queued, the mirror now has the latest version
    live = stack.get("/api/v2/status.json")
    assert live.status == 200 and "X-Candor-Stale" not in live.headers

    stack.postgres.stop()
    stack.postgres.wait_until_down()
    try:
        for path in ("/", "/api/v2/summary.json", "/history"):
            answer = stack.get(path)
            assert answer.status == 200, (path, answer.body[:300])
            assert answer.headers.get("X-Candor-Stale") == "true", path
        # A rendering made before the outage, of the same generation, is as good as new.
        assert stack.get("/api/v2/status.json").status == 200
        summary = stack.get("/api/v2/summary.json").json()
        assert [i["name"] for i in summary["incidents"]][:1] == ["Payments delayed"]
        page = stack.get("/").body.decode()
        assert "Payments delayed" in page and "Last updated" in page
        assert stack.get("/incidents/no-such-incident").status == 404
        # A write cannot be kept: the answer says so, and when to try again (issue 13, #16).
        write = stack.request(
            "POST", "/api/staff/incidents/", {"name": "Lost?", "body": "x", "impact": "major"}
        )
        assert (write.status, write.headers.get("Retry-After")) == (503, "30"), write.body
        assert write.json()["detail"]
    finally:
        stack.postgres.start()

    stack.wait_until(
        lambda: "X-Candor-Stale" not in stack.get("/api/v2/summary.json").headers,
        "live answers again",
    )
    assert stack.get("/").status == 200


def test_with_redis_down_the_page_answers_and_an_update_still_publishes(stack: Stack) -> None:
    incident = stack.open_incident("Search degraded")
    stack.manage("publish")
    stack.redis.stop()  # the cache, the broker and the workers' heartbeats, all gone
    try:
        page = stack.get("/")
        # (On failure, the web's log says what raised: a CI run once answered 503 here.)
        assert page.status == 200 and "X-Candor-Stale" not in page.headers, stack.logs()
        before = stack.mirror_version() or 0
        stack.post_update(incident, "Search is answering again from the replica.")
        stack.wait_until(lambda: (stack.mirror_version() or 0) > before, "the web's own publish")
        page = stack.get(f"/incidents/{incident}")
        assert "from the replica" in page.body.decode(), (page.status, stack.logs())
    finally:
        stack.redis.start()
