"""A real Celery worker, on the real Redis broker, runs the beat's maintenance sweep."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from redis import Redis

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import AuditEvent, Component, Maintenance
from statuspage.celery import app
from tests.factories import ComponentFactory

ROOT = Path(__file__).resolve().parent.parent
BROKER_DB = 9  # a Redis database of its own, so no other run's worker takes our tasks


@pytest.fixture
def cache_prefix() -> str:
    """The worker's own cache prefix, new for every test: a worker an earlier test had to
    kill leaves its heartbeat behind for a whole TTL, and this test must not read it as
    its own worker's (the worker would then be stopped before it had started)."""
    return f"worker{os.getpid()}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def worker(transactional_db: None, cache_prefix: str) -> Iterator[subprocess.Popen[bytes]]:
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{settings_dict['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{BROKER_DB}",
        "CANDOR_CACHE_PREFIX": cache_prefix,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "statuspage",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
            "--queues",
            f"test-{os.getpid()}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=30)  # a warm shutdown finishes its task first; slow under load
    except subprocess.TimeoutExpired:
        proc.kill()


# Tests run tasks eagerly; send_task is how this one reaches the real broker anyway.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_real_worker_starts_a_due_maintenance(worker: subprocess.Popen[bytes]) -> None:
    database = ComponentFactory(name="Primary database")
    now = timezone.now()
    maintenance = lifecycle.maintenance_schedule(
        actor=Actor.system("test"),
        name="Upgrade",
        body="Upgrading.",
        scheduled_for=now - timedelta(minutes=1),
        scheduled_until=now + timedelta(hours=1),
        components=[database],
    )

    app.send_task(
        "incidents.tasks.maintenance_sweep",
        queue=f"test-{os.getpid()}",
        connection=app.connection_for_write(f"redis://127.0.0.1:6379/{BROKER_DB}"),
    )

    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and worker.poll() is None:
        maintenance.refresh_from_db()
        if maintenance.status == "in_progress":
            break
        time.sleep(0.2)
    if worker.poll() is not None:
        pytest.fail(f"worker exited: {worker.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
    assert Maintenance.objects.get(pk=maintenance.pk).status == "in_progress"
    assert Component.objects.get(pk=database.pk).status == "under_maintenance"
    assert AuditEvent.objects.filter(actor_label="system:beat").count() == 1


def test_a_real_worker_beats_while_it_runs_and_says_so_when_it_stops(
    worker: subprocess.Popen[bytes], cache_prefix: str
) -> None:
    """The heartbeat is wired to the worker's own signals (statuspage/celery.py), not to
    the import of a module that happens to be loaded."""
    heartbeat = f"{cache_prefix}:1:workers:heartbeat"
    redis = Redis.from_url(f"redis://127.0.0.1:6379/{BROKER_DB}")
    deadline = time.monotonic() + 45
    while not redis.exists(heartbeat) and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.2)
    assert redis.exists(heartbeat), "the worker never sent a heartbeat"
    worker.terminate()  # a clean shutdown
    worker.wait(timeout=30)
    assert worker.returncode == 0, "not a clean shutdown"
    assert not redis.exists(heartbeat)
    assert redis.exists(f"{cache_prefix}:1:workers:last_seen")
