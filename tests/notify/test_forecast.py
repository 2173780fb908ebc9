"""The send forecast, the SMS cost cap and "do not notify", against hand-worked figures.

Words are the phase's approved template (drafts.draft_update), under the whole wording
policy: the SMS rendering of each is between 161 and 306 GSM-7 septets, two segments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import (
    AuditAction,
    AuditEvent,
    Delivery,
    Incident,
    IncidentUpdate,
    NotifyScope,
    SubscriberChannel,
)
from incidents.notify.costs import drafts
from incidents.notify.costs.gate import SmsCostAboveCap, sms_cost_cap_set
from incidents.wording.drafts import draft_update
from tests.factories import ComponentFactory
from tests.notify.conftest import subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.wording]

US = ["+14155550100", "+14155550101", "+12025550143"]
GB = ["+447400123456", "+447700123456"]


@pytest.fixture(autouse=True)
def _rates(settings: Any, twilio: Any) -> None:
    settings.CANDOR_NOTIFY_RATE = {"email": 2, "sms": 100, "webhook": 200}
    settings.CANDOR_SMS_PRICES = {"US": Decimal("0.0083"), "GB": Decimal("0.04")}
    settings.CANDOR_SMS_CURRENCY = "USD"
    settings.CANDOR_SMS_SENDER_TYPE = "long_code"  # 1 segment a second
    settings.CANDOR_SMS_SENDERS = 1
    settings.CANDOR_SMS_MPS = 0


@pytest.fixture
def audience() -> None:
    for n in range(4):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    for number in US + GB:
        subscriber(SubscriberChannel.SMS, number)


def _words(incident: Incident, phase: str = "identified") -> str:
    return draft_update(incident, phase=phase, now=timezone.now())


def _forecast(incident: Incident, scope: str = NotifyScope.ALL) -> drafts.Forecast:
    return drafts.incident_update_forecast(
        incident=incident, body=_words(incident), status="identified", scope=scope,
        body_limit=lifecycle.MAX_BODY_LENGTH,
    )  # fmt: skip


def test_the_forecast_counts_messages_segments_cost_and_time(
    payments: Incident, audience: None
) -> None:
    forecast = _forecast(payments)
    by = {c.channel: c for c in forecast.channels}
    assert by["email"].messages == 4
    assert by["email"].cost == 0
    assert by["email"].seconds == 2.0  # 4 messages at 2 a second
    sms = by["sms"]
    assert (sms.messages, sms.encoding, sms.segments_per_message, sms.segments) == (
        5, "GSM-7", 2, 10,
    )  # fmt: skip
    # 2 segments x (3 US x 0.0083 + 2 GB x 0.04) = 0.0498 + 0.16
    assert sms.cost == Decimal("0.2098")
    assert [(k.country, k.recipients) for k in sms.by_country] == [("GB", 2), ("US", 3)]
    assert sms.seconds == 10.0  # 10 segments through one long code, 1 a second
    assert forecast.seconds == 10.0  # channels send side by side: the slowest
    assert by["webhook"].messages == 0
    assert forecast.as_dict()["sms_cost"] == "0.21"


def test_an_unpriced_country_is_counted_apart(
    payments: Incident, audience: None, settings: Any
) -> None:
    settings.CANDOR_SMS_COUNTRIES = ["US", "GB", "FR"]
    subscriber(SubscriberChannel.SMS, "+33612345678")
    sms = next(c for c in _forecast(payments).channels if c.channel == "sms")
    assert sms.messages == 6
    assert sms.unpriced == 1
    assert sms.cost == Decimal("0.2098")


def test_the_forecast_uses_the_fan_outs_selection(payments: Incident) -> None:
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Website")
    subscriber(SubscriberChannel.SMS, US[0], components=[api.pk])
    subscriber(SubscriberChannel.SMS, US[1], components=[web.pk])
    subscriber(SubscriberChannel.SMS, US[2], state="pending")
    forecast = drafts.incident_update_forecast(
        incident=payments, body=_words(payments), status="identified",
        components=[api], body_limit=lifecycle.MAX_BODY_LENGTH,
    )  # fmt: skip
    assert next(c for c in forecast.channels if c.channel == "sms").messages == 1
    lifecycle.update_post(
        actor=Actor.system("test"), incident=payments, body=_words(payments),
        status="identified", components={api: "degraded_performance"},
    )  # fmt: skip
    update = payments.updates.order_by("-created_at", "-pk").first()
    assert Delivery.objects.filter(incident_update=update, channel="sms").count() == 1


def test_do_not_notify_publishes_and_sends_nothing(
    payments: Incident, audience: None, actor: Actor
) -> None:
    assert _forecast(payments, NotifyScope.NONE).messages == 0
    update = lifecycle.update_post(
        actor=actor, incident=payments, body=_words(payments), status="identified",
        notify=NotifyScope.NONE,
    )  # fmt: skip
    assert update.notify == NotifyScope.NONE
    assert not Delivery.objects.filter(incident_update=update).exists()
    event = AuditEvent.objects.filter(action=AuditAction.INCIDENT_UPDATED).latest("at")
    assert event.data["notify"]["notify"] == "none"


def test_above_the_cap_posting_is_refused_without_confirmation(
    payments: Incident, audience: None, actor: Actor, admin: Any
) -> None:
    sms_cost_cap_set(actor=Actor.staff(admin, channel="console"), amount=Decimal("0.10"))
    before = IncidentUpdate.objects.count()
    with pytest.raises(SmsCostAboveCap) as refused:
        lifecycle.update_post(
            actor=actor, incident=payments, body=_words(payments), status="identified"
        )
    assert "0.21 USD" in str(refused.value.messages)
    assert IncidentUpdate.objects.count() == before  # nothing half-posted
    # A figure below the forecast does not confirm it.
    with pytest.raises(ValidationError):
        lifecycle.update_post(
            actor=actor, incident=payments, body=_words(payments), status="identified",
            confirm_sms_cost=Decimal("0.20"),
        )  # fmt: skip


def test_above_the_cap_a_confirmed_figure_sends_and_is_audited(
    payments: Incident, audience: None, actor: Actor, admin: Any
) -> None:
    sms_cost_cap_set(actor=Actor.staff(admin, channel="console"), amount=Decimal("0.10"))
    update = lifecycle.update_post(
        actor=actor, incident=payments, body=_words(payments), status="identified",
        confirm_sms_cost=Decimal("0.21"),
    )  # fmt: skip
    assert Delivery.objects.filter(incident_update=update, channel="sms").count() == 5
    confirmed = AuditEvent.objects.get(action=AuditAction.SMS_COST_CONFIRMED)
    assert confirmed.actor_label == actor.label
    assert confirmed.data["cost"] == "0.21"
    assert confirmed.data["cap"] == "0.10"


def test_above_the_cap_email_and_chat_only_skips_sms_on_record(
    payments: Incident, audience: None, actor: Actor, admin: Any
) -> None:
    sms_cost_cap_set(actor=Actor.staff(admin, channel="console"), amount=Decimal("0.10"))
    forecast = _forecast(payments, NotifyScope.FREE_ONLY)
    sms = next(c for c in forecast.channels if c.channel == "sms")
    assert (sms.messages, sms.skipped, forecast.cost) == (0, 5, 0)
    update = lifecycle.update_post(
        actor=actor, incident=payments, body=_words(payments), status="identified",
        notify=NotifyScope.FREE_ONLY,
    )  # fmt: skip
    assert update.notify == NotifyScope.FREE_ONLY
    channels = list(
        Delivery.objects.filter(incident_update=update).values_list("channel", flat=True)
    )
    assert sorted(channels) == ["email"] * 4


def test_beat_and_monitors_above_the_cap_send_email_and_chat_only(
    payments: Incident, audience: None, admin: Any
) -> None:
    sms_cost_cap_set(actor=Actor.staff(admin, channel="console"), amount=Decimal("0.10"))
    update = lifecycle.incident_resolve(
        actor=Actor.system("ingest"), incident=payments, body=_words(payments, "resolved")
    )
    assert update.notify == NotifyScope.FREE_ONLY
    assert not Delivery.objects.filter(incident_update=update, channel="sms").exists()
    event = AuditEvent.objects.filter(action=AuditAction.INCIDENT_RESOLVED).get()
    assert event.data["notify"]["sms_skipped_above_cap"] == "0.10"


def test_only_an_admin_sets_the_cap(actor: Actor, admin: Any) -> None:
    with pytest.raises(PermissionError):
        sms_cost_cap_set(actor=actor, amount=Decimal(5))
    sms_cost_cap_set(actor=Actor.staff(admin, channel="console"), amount=Decimal("12.50"))
    event = AuditEvent.objects.get(action=AuditAction.SMS_COST_CAP_SET)
    assert event.data == {"old": None, "new": "12.50"}
    with pytest.raises(ValidationError):
        sms_cost_cap_set(actor=Actor.staff(admin, channel="console"), amount=Decimal("1.005"))


def test_the_country_found_when_subscribing_is_kept_and_priced(
    payments: Incident, settings: Any, twilio: Any
) -> None:
    from incidents.models import Subscriber
    from incidents.notify.subscriptions import subscriber_subscribe

    settings.CANDOR_SMS_COUNTRIES = ["US", "CA"]
    settings.CANDOR_SMS_PRICES = {"CA": Decimal("0.01")}
    subscriber_subscribe(
        channel="sms", destination="+1 613 555 0123", component_ids=None, ip="198.51.100.1"
    )
    stored = Subscriber.objects.get()
    assert (stored.destination, stored.prefix) == ("+16135550123", "CA")
    Subscriber.objects.filter(pk=stored.pk).update(state="confirmed")
    sms = next(c for c in _forecast(payments).channels if c.channel == "sms")
    assert [(k.country, k.recipients) for k in sms.by_country] == [("CA", 1)]
    assert sms.cost == Decimal("0.02")  # 2 segments at 0.01
