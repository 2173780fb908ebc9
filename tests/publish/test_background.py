"""With no worker alive, a staff request hands the publish to a background thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import PublishTarget
from incidents.publish import background, service
from incidents.publish.targets.local import LocalTarget
from incidents.publish.versions import site_version
from tests.factories import promised

pytestmark = pytest.mark.django_db(transaction=True)


class CountingRenders:
    """The real renderer, counting calls and the threads they ran in; `hold` keeps each
    render waiting, so a test can see what answered while it was under way."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = service.render_next
        self.threads: list[str] = []
        self.hold = threading.Event()
        self.hold.set()
        self.started = threading.Event()
        monkeypatch.setattr(service, "render_next", self)

    def __call__(self, **options: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        self.hold.wait(30)
        return self.real(**options)


@pytest.fixture
def no_worker(settings: Any, mirror: Path) -> Path:
    """As in production with the worker stopped: tasks are queued, no heartbeat is seen."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return mirror


def test_a_staff_update_without_a_worker_returns_before_the_site_is_rendered(
    no_worker: Path, staff_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = lifecycle.incident_open(
        actor=Actor.system("test"),
        name="API errors",
        body=promised("Investigating."),
        impact="minor",
    )
    assert background.wait_idle(30)
    renders = CountingRenders(monkeypatch)
    renders.hold.clear()
    response = staff_api.post(
        f"/api/staff/incidents/{incident.public_id}/updates/",
        {"body": promised("Cause found."), "status": "identified"},
        format="json",
    )
    assert response.status_code == 201, response.content.decode()
    assert renders.started.wait(30)
    # The request has its answer; the one render it caused is waiting in another thread.
    assert renders.threads == ["candor-publish"]
    assert threading.current_thread().name not in renders.threads
    renders.hold.set()
    assert background.wait_idle(30)
    assert LocalTarget(no_worker).current().version == site_version()  # type: ignore[union-attr]
    page = (no_worker / "current" / f"incidents/{incident.public_id}.html").read_text()
    assert "Cause found." in page


def test_updates_during_a_background_publish_cost_one_more_publish_not_one_each(
    no_worker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = Actor.system("test")
    incident = lifecycle.incident_open(
        actor=actor, name="API errors", body=promised("Investigating.")
    )
    assert background.wait_idle(30)
    renders = CountingRenders(monkeypatch)
    renders.hold.clear()
    lifecycle.update_post(
        actor=actor, incident=incident, body=promised("Cause found."), status="identified"
    )
    for body in ("Checking.", "Delays.", "Again.", "Fix deployed.", "Fixed."):
        # All while the first render waits.
        lifecycle.update_post(
            actor=actor, incident=incident, body=promised(body), status="identified"
        )
    assert renders.started.wait(30)
    assert renders.threads == ["candor-publish"]
    renders.hold.set()
    assert background.wait_idle(30)
    # The held render, then at most one for the five that came meanwhile (none if the
    # held one, reading the database once released, already saw them).
    assert len(renders.threads) <= 2
    assert PublishTarget.objects.get(name="local").last_version == site_version()


def test_a_process_that_exits_finishes_its_background_publish_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done = threading.Event()

    def slow_publish() -> None:
        time.sleep(0.5)
        done.set()

    monkeypatch.setattr(background, "_publish_task", slow_publish)
    background.publish_soon()
    background._finish_at_exit()  # what atexit runs as the interpreter exits
    assert done.is_set()
