"""The send forecast, the SMS cost cap and "do not notify" through the staff API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import AuditAction, AuditEvent, Delivery, Incident, SubscriberChannel
from incidents.wording.drafts import draft_update
from tests.notify.conftest import subscriber
from tests.notify.conftest import twilio as twilio_fixture  # noqa: F401 (a fixture of tests/notify)

pytestmark = [pytest.mark.django_db, pytest.mark.wording]

NUMBERS = ["+14155550100", "+14155550101", "+12025550143", "+447400123456", "+447700123456"]


@pytest.fixture(autouse=True)
def _sms(settings: Any, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("twilio_fixture")  # Twilio on loopback: SMS is configured
    settings.CANDOR_NOTIFY_RATE = {"email": 2, "sms": 100, "webhook": 200}
    settings.CANDOR_SMS_PRICES = {"US": Decimal("0.0083"), "GB": Decimal("0.04")}
    settings.CANDOR_SMS_SENDER_TYPE = "long_code"
    settings.CANDOR_SMS_SENDERS = 1
    settings.CANDOR_SMS_MPS = 0
    for n in range(4):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    for number in NUMBERS:
        subscriber(SubscriberChannel.SMS, number)


@pytest.fixture
def admin_api(admin: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    return client


def _body(incident: Incident) -> dict[str, Any]:
    words = draft_update(incident, phase="identified", now=timezone.now())
    return {"body": words, "status": "identified"}


def test_the_forecast_endpoint_takes_the_posting_body_and_writes_nothing(
    staff_api: APIClient, payments: Incident
) -> None:
    url = f"/api/staff/incidents/{payments.public_id}/updates/forecast/"
    answer = staff_api.post(url, _body(payments), format="json")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    sms = next(c for c in data["channels"] if c["channel"] == "sms")
    assert (sms["messages"], sms["segments_per_message"], sms["segments"]) == (5, 2, 10)
    assert sms["cost"] == "0.2098"
    assert sms["seconds"] == 10.0
    assert (data["messages"], data["sms_cost"], data["seconds"]) == (9, "0.21", 10.0)
    assert data["above_cap"] is False
    assert payments.updates.count() == 1
    none = staff_api.post(url, {**_body(payments), "notify": "none"}, format="json").json()
    assert none["messages"] == 0


@pytest.mark.parametrize("body", ["x" * 20_001, "bidi \u202e text", "nul \x00"])
def test_a_hostile_draft_is_refused(staff_api: APIClient, payments: Incident, body: str) -> None:
    url = f"/api/staff/incidents/{payments.public_id}/updates/forecast/"
    answer = staff_api.post(url, {"body": body, "status": "identified"}, format="json")
    assert answer.status_code == 400
    assert "body" in answer.json()["errors"]


def test_only_an_admin_sets_the_cap_and_it_is_audited(
    staff_api: APIClient, admin_api: APIClient
) -> None:
    url = "/api/staff/notify/sms-cost-cap/"
    assert staff_api.get(url).json() == {"amount": None, "currency": "USD"}
    assert staff_api.put(url, {"amount": "5"}, format="json").status_code == 403
    assert admin_api.put(url, {"amount": "-1"}, format="json").status_code == 400
    answer = admin_api.put(url, {"amount": "0.10"}, format="json")
    assert answer.json() == {"amount": "0.10", "currency": "USD"}
    assert AuditEvent.objects.get(action=AuditAction.SMS_COST_CAP_SET).data["new"] == "0.10"


def test_above_the_cap_a_post_needs_the_figure_or_email_only(
    staff_api: APIClient, admin_api: APIClient, payments: Incident
) -> None:
    admin_api.put("/api/staff/notify/sms-cost-cap/", {"amount": "0.10"}, format="json")
    forecast = staff_api.post(
        f"/api/staff/incidents/{payments.public_id}/updates/forecast/",
        _body(payments),
        format="json",
    ).json()
    assert (forecast["above_cap"], forecast["sms_cost_cap"]) == (True, "0.10")

    url = f"/api/staff/incidents/{payments.public_id}/updates/"
    refused = staff_api.post(url, _body(payments), format="json")
    assert refused.status_code == 400
    assert "0.21 USD" in refused.json()["errors"]["confirm_sms_cost"][0]
    assert payments.updates.count() == 1

    posted = staff_api.post(url, {**_body(payments), "confirm_sms_cost": "0.21"}, format="json")
    assert posted.status_code == 201
    confirmed = payments.updates.order_by("-created_at", "-pk").first()
    assert Delivery.objects.filter(incident_update=confirmed, channel="sms").count() == 5
    assert AuditEvent.objects.get(action=AuditAction.SMS_COST_CONFIRMED).actor_label == "api:rita"

    email_only = staff_api.post(url, {**_body(payments), "notify": "free_only"}, format="json")
    assert email_only.status_code == 201
    update = payments.updates.order_by("-created_at", "-pk").first()
    assert update is not None and update.notify == "free_only"
    assert set(
        Delivery.objects.filter(incident_update=update).values_list("channel", flat=True)
    ) == {"email"}


def test_do_not_notify_through_the_api(staff_api: APIClient, payments: Incident) -> None:
    url = f"/api/staff/incidents/{payments.public_id}/updates/"
    answer = staff_api.post(url, {**_body(payments), "notify": "none"}, format="json")
    assert answer.status_code == 201
    update = payments.updates.order_by("-created_at", "-pk").first()
    assert not Delivery.objects.filter(incident_update=update).exists()
