"""The console's send forecast endpoint and the SMS cost cap page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from incidents.models import AuditAction, AuditEvent, Incident, SmsCostCap, SubscriberChannel
from incidents.wording.drafts import draft_update
from tests.notify.conftest import subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.wording]


@pytest.fixture
def readers(settings: Any) -> None:
    settings.CANDOR_SMS_ENABLED = True
    settings.CANDOR_SMS_PRICES = {"US": Decimal("0.0083")}
    settings.CANDOR_SMS_SENDER_TYPE = "long_code"
    settings.CANDOR_SMS_SENDERS = 1
    settings.CANDOR_SMS_MPS = 0
    subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    for n in range(3):
        subscriber(SubscriberChannel.SMS, f"+1415555010{n}")


def _text(answer: Any) -> str:
    """The forecast fragment as a reader sees it: tags out, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", answer.json()["html"]).split())


def _forecast(console: Client, incident: Incident, **fields: str) -> Any:
    data = {
        "forecast_kind": "incident_update",
        "forecast_target": incident.public_id,
        "status": "identified",
        "body": draft_update(incident, phase="identified", now=timezone.now()),
        **fields,
    }
    return console.post("/console/forecast/", data)


def test_the_post_form_carries_the_forecast_panel(console: Client, payments: Incident) -> None:
    page = console.get(f"/console/incidents/{payments.public_id}/")
    assert b'data-forecast-kind="incident_update"' in page.content
    assert b'data-forecast-kind="incident_resolve"' in page.content


def test_the_forecast_endpoint_renders_the_figures(
    console: Client, payments: Incident, readers: None
) -> None:
    answer = _forecast(console, payments)
    assert answer.status_code == 200
    text = _text(answer)
    assert "4 messages" in text and "0.05 USD" in text
    assert "2 \u00d7 3 = 6" in text
    assert answer.json()["above_cap"] is False
    none = _text(_forecast(console, payments, notify="none"))
    assert "0 messages" in none and "will not be notified" in none


def test_a_draft_without_words_gets_a_hint_and_a_hostile_one_a_reason(
    console: Client, payments: Incident
) -> None:
    assert "has words" in _text(_forecast(console, payments, body=""))
    refused = _forecast(console, payments, body="evil \u202e words").json()["html"]
    assert "0 messages" not in refused and "forecast__table" not in refused
    unknown = console.post("/console/forecast/", {"forecast_kind": "nope", "body": "x"})
    assert unknown.status_code == 400


def test_only_an_admin_changes_the_cap_on_its_page(
    console: Client, admin: User, payments: Incident, readers: None
) -> None:
    assert console.get("/console/notifications/sms-cost-cap/").status_code == 200
    assert console.post("/console/notifications/sms-cost-cap/", {"amount": "1"}).status_code == 403
    boss = Client()
    boss.force_login(admin)
    assert boss.post("/console/notifications/sms-cost-cap/", {"amount": "1.234"}).status_code == 400
    saved = boss.post("/console/notifications/sms-cost-cap/", {"amount": "0.01"})
    assert saved.status_code == 302
    assert SmsCostCap.objects.get().amount == Decimal("0.01")
    assert AuditEvent.objects.filter(action=AuditAction.SMS_COST_CAP_SET).count() == 1
    assert _forecast(console, payments).json()["above_cap"] is True


def test_a_post_above_the_cap_comes_back_with_the_forecast_and_posts_when_confirmed(
    console: Client, admin: User, payments: Incident, readers: None
) -> None:
    SmsCostCap.objects.create(amount=Decimal("0.01"))
    words = draft_update(payments, phase="identified", now=timezone.now())
    url = f"/console/incidents/{payments.public_id}/"
    refused = console.post(url, {"status": "identified", "body": words})
    assert refused.status_code == 400
    assert b"above the cap of 0.01" in refused.content
    assert b"0.05 USD" in refused.content  # the forecast, rendered with the refusal
    posted = console.post(url, {"status": "identified", "body": words, "confirm_sms_cost": "0.05"})
    assert posted.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.SMS_COST_CONFIRMED).count() == 1
