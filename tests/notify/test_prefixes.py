"""SMS subscribers stored before their country was kept get it filled (by the data
migration, in batches): the forecast then counts them by country in SQL, with the same
figures it had when it parsed each number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from incidents.models import Incident, Subscriber, SubscriberChannel
from incidents.notify.prefixes import sms_prefixes_fill
from tests.notify.conftest import subscriber
from tests.notify.test_forecast import _forecast

BEFORE = [("incidents", "0045_audit_action_checked_in_code")]
AFTER = [("incidents", "0046_sms_subscriber_prefixes")]

NUMBERS = {
    "+12025550143": "US",
    "+447400123456": "GB",
    "+16135550123": "CA",
    "+33612345678": "FR",
    "+99912345": "",  # names no country: stays empty, parsed as before
}


def _by_country(incident: Incident) -> list[tuple[str, int]]:
    sms = next(c for c in _forecast(incident).channels if c.channel == "sms")
    return [(k.country, k.recipients) for k in sms.by_country]


@pytest.mark.django_db
@pytest.mark.wording  # the forecast drafts its words from the approved templates
def test_older_sms_subscribers_get_their_country_in_batches_and_forecast_the_same(
    payments: Incident, settings: Any, twilio: Any
) -> None:
    settings.CANDOR_SMS_PRICES = {"US": Decimal("0.0083"), "GB": Decimal("0.04")}
    for number in NUMBERS:
        subscriber(SubscriberChannel.SMS, number)  # stored without a prefix, as before 0042
    mail = subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    kept = subscriber(SubscriberChannel.SMS, "+12025550199", prefix="US")
    parsed = _by_country(payments)

    assert sms_prefixes_fill(Subscriber, batch=2) == 4
    stored = dict(Subscriber.objects.filter(channel="sms").values_list("destination", "prefix"))
    assert stored == {**NUMBERS, kept.destination: "US"}
    mail.refresh_from_db()
    assert mail.prefix == ""  # only SMS rows: an email's prefix prices nothing
    assert _by_country(payments) == parsed
    assert ("US", 2) in parsed and ("GB", 1) in parsed
    assert sms_prefixes_fill(Subscriber) == 0  # again: nothing left to fill


@pytest.mark.embedded
@pytest.mark.django_db
def test_the_fill_runs_on_sqlite_too() -> None:
    subscriber(SubscriberChannel.SMS, "+447400123456")
    assert sms_prefixes_fill(Subscriber) == 1
    assert Subscriber.objects.get().prefix == "GB"


def test_the_data_migration_fills_rows_stored_before_it(transactional_db: None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps.get_model("incidents", "Subscriber")
        now = timezone.now()
        for n, number in enumerate(NUMBERS):
            old.objects.create(
                public_id=f"sub{n}", channel="sms", destination=number, state="confirmed",
                created_at=now, confirmed_at=now,
            )  # fmt: skip
        MigrationExecutor(connection).migrate(AFTER)
        assert dict(Subscriber.objects.values_list("destination", "prefix")) == NUMBERS
    finally:
        # Back to every migration, later ones included, for the tests that follow: to
        # the leaves a new loader sees (the squash has gone from the graph while the files
        # it replaces are partly applied).
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
