"""The console says so when the Celery worker has gone quiet (worker_heartbeat.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from incidents import worker_heartbeat

pytestmark = pytest.mark.django_db

BANNER = "reminders and notifications are paused"


@pytest.fixture
def real_broker(settings: Settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False  # with eager tasks no worker is ever needed


def test_a_worker_that_went_quiet_shows_when_it_was_last_seen(
    console: Client, real_broker: None
) -> None:
    worker_heartbeat.beat(now=timezone.now().replace(hour=9, minute=41))
    cache.delete(worker_heartbeat.KEY)  # its TTL ran out: the worker is gone

    page = console.get(reverse("console:dashboard")).content.decode()

    assert "The worker has not been seen since 09:41 UTC: " + BANNER in page


def test_a_worker_never_seen_is_reported_too(console: Client, real_broker: None) -> None:
    page = console.get(reverse("console:dashboard")).content.decode()

    assert "No worker has been seen since this site started: " + BANNER in page


def test_a_live_worker_shows_no_banner(console: Client, real_broker: None) -> None:
    worker_heartbeat.beat()

    assert BANNER not in console.get(reverse("console:dashboard")).content.decode()


def test_eager_tasks_need_no_worker(console: Client) -> None:
    assert BANNER not in console.get(reverse("console:dashboard")).content.decode()
