"""Two maintenance sweeps at the same moment, on PostgreSQL: each window is reminded,
started and completed once, and each subscriber has one delivery per notice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import (
    Delivery,
    Maintenance,
    MaintenanceUpdate,
    Subscriber,
    SubscriberChannel,
    SubscriberState,
)
from tests.factories import ComponentFactory

ACTOR = Actor.system("test")
WINDOWS = 8


def _two_sweeps_at(now: datetime) -> list[dict[str, int]]:
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(lifecycle.maintenance_sweep(now=now))
        except BaseException as error:  # surfaced below; a thread would swallow it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    return results


def test_two_concurrent_sweeps_remind_start_and_complete_each_window_once(
    transactional_db: None,
) -> None:
    now = timezone.now()
    start, end = now + timedelta(hours=2), now + timedelta(hours=3)
    database = ComponentFactory(name="Database")
    for n in range(3):
        Subscriber.objects.create(
            channel=SubscriberChannel.EMAIL,
            destination=f"reader{n}@example.com",
            state=SubscriberState.CONFIRMED,
            all_components=True,
            created_at=now,
            confirmed_at=now,
        )
    for n in range(WINDOWS):
        lifecycle.maintenance_schedule(
            actor=ACTOR, name=f"Upgrade {n}", body="Upgrading.", components=[database],
            scheduled_for=start, scheduled_until=end, notify_prior_minutes=60, now=now,
        )  # fmt: skip

    for at, key in ((start - timedelta(minutes=59), "reminded"), (start, "started"),
                    (end, "completed")):  # fmt: skip
        results = _two_sweeps_at(at)
        assert sum(r.get(key, 0) for r in results) == WINDOWS, results

    per_window = Counter(
        MaintenanceUpdate.objects.values_list("maintenance_id", "status", "reminder")
    )
    assert len(per_window) == WINDOWS * 4  # announced, reminded, started, completed
    assert set(per_window.values()) == {1}
    deliveries = Counter(Delivery.objects.values_list("subscriber_id", "maintenance_update_id"))
    assert len(deliveries) == 3 * WINDOWS * 4 and set(deliveries.values()) == {1}
    assert set(Maintenance.objects.values_list("status", flat=True)) == {"completed"}
