"""The `make run` configuration: SQLite, no Redis, the filesystem broker, the file cache.

Marked `embedded`: `make test` runs these a second time with tests/settings_sqlite.py,
where they meet what only the embedded default does (SQLite's datetimes, no sent journal
in Redis, no shared token bucket). They pass on PostgreSQL too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, SubscriberChannel
from incidents.notify import fanout, journal, outbox
from tests.factories import promised
from tests.notify.conftest import subscriber
from tests.notify.peers import SmtpSink

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture(autouse=True)
def _notify_settings(settings: Any) -> None:
    settings.CANDOR_CANONICAL_URL = "https://status.example.com"
    settings.CANDOR_APP_URL = "https://status.example.com"
    settings.CANDOR_NOTIFY_PARALLEL = 1


@pytest.fixture
def smtp(settings: Any) -> Any:
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 3
    yield sink
    sink.stop()


def test_a_sent_email_is_marked_sent_and_never_sent_again_after_its_lease(
    actor: Actor, smtp: SmtpSink, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(3):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor, name="Checkout errors", body=promised("Investigating.")
        )

    assert len(smtp.messages) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert all(d.sent_at and d.attempts == 1 for d in Delivery.objects.all())

    # What the beat does after the lease: nothing is held, so nothing goes out again.
    later = timezone.now() + timedelta(seconds=settings.CANDOR_NOTIFY_LEASE + 1)
    assert outbox.deliveries_sweep(now=later) == (0, [])
    assert fanout.fanout_run(channel="email", max_seconds=5).sent == 0
    assert len(smtp.messages) == 3


def test_the_demo_loads_and_serves_its_pages(client: Client) -> None:
    call_command("seed_demo", verbosity=0)
    for path in ("/", "/history", "/api/v2/summary.json", "/history.atom", "/subscribe"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)


def test_a_claimer_past_its_lease_cannot_mark_what_another_now_holds(actor: Actor) -> None:
    subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    lifecycle.incident_open(actor=actor, name="Checkout errors", body=promised("Investigating."))
    (late,) = fanout.deliveries_claim(channel="email", limit=10)
    assert late.claimed_at is not None
    mark = journal.Mark(late.pk, late.claimed_at, timezone.now(), "<late@status.example.com>")
    # The lease ran out, the sweeper re-queued it, another worker claimed it.
    Delivery.objects.filter(pk=late.pk).update(claimed_at=timezone.now() + timedelta(seconds=1))
    assert journal.marks_commit([mark]) == set()
    assert Delivery.objects.get().state == "sending"
    Delivery.objects.filter(pk=late.pk).update(claimed_at=late.claimed_at)
    assert journal.marks_commit([mark]) == {late.pk}
