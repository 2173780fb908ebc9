"""The idempotency keys themselves: their fingerprint and their pruning after 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.contrib.auth.models import User

from incidents import tasks
from incidents.idempotency import fingerprint, idempotency_keys_prune
from incidents.models import IdempotencyKey
from statuspage.celery import app

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_fingerprint_is_the_request_not_its_spelling() -> None:
    one = fingerprint(method="post", path="/a/", body={"body": "x", "status": "identified"})
    assert one == fingerprint(method="POST", path="/a/", body={"status": "identified", "body": "x"})
    assert len(one) == 64
    assert len({
        one,
        fingerprint(method="PATCH", path="/a/", body={"body": "x", "status": "identified"}),
        fingerprint(method="POST", path="/b/", body={"body": "x", "status": "identified"}),
        fingerprint(method="POST", path="/a/", body={"body": "y", "status": "identified"}),
    }) == 4  # fmt: skip


def _key(user: User, key: str, created_at: datetime) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        user=user,
        key=key,
        fingerprint="0" * 64,
        status_code=201,
        response={},
        created_at=created_at,
    )


def test_pruning_forgets_keys_older_than_a_day_only(responder: User) -> None:
    _key(responder, "old", NOW - timedelta(hours=25))
    _key(responder, "just-over", NOW - timedelta(hours=24, seconds=1))
    _key(responder, "a-day", NOW - timedelta(hours=24))
    _key(responder, "recent", NOW - timedelta(hours=23))

    assert idempotency_keys_prune(now=NOW) == 2
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"a-day", "recent"}


def test_the_hourly_beat_task_prunes_by_the_clock(responder: User) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-keys-prune"]
    assert entry == {"task": "incidents.tasks.idempotency_keys_prune", "schedule": 3600.0}
    assert entry["task"] in app.tasks

    _key(responder, "yesterday", NOW - timedelta(hours=26))
    _key(responder, "today", NOW - timedelta(hours=2))
    with time_machine.travel(NOW, tick=False):
        assert tasks.idempotency_keys_prune() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["today"]


def test_a_users_keys_go_with_the_user(responder: User) -> None:
    _key(responder, "k", NOW)
    responder.delete()
    assert not IdempotencyKey.objects.exists()
