from __future__ import annotations

from collections.abc import Iterator
from typing import Any as SettingsWrapper

import pytest

from incidents.models import Subscriber, SubscriberChannel, SubscriberState
from tests.notify.peers import HttpPeer, SmtpSink, twilio_double

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-auth-token"


@pytest.fixture
def smtp(settings: SettingsWrapper) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_TIMEOUT = 3
    yield sink
    sink.stop()


@pytest.fixture
def twilio(settings: SettingsWrapper) -> Iterator[HttpPeer]:
    double = twilio_double()
    settings.CANDOR_TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.CANDOR_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.CANDOR_TWILIO_API_BASE = double.url
    settings.CANDOR_SMS_ENABLED = True
    settings.CANDOR_SMS_COUNTRIES = ["US", "GB"]
    yield double
    double.stop()


@pytest.fixture(autouse=True)
def _notify_settings(settings: SettingsWrapper) -> None:
    settings.CANDOR_CANONICAL_URL = "https://status.example.com"
    settings.CANDOR_APP_URL = "https://status.example.com"
    settings.CANDOR_NOTIFY_PARALLEL = 1
    settings.CANDOR_NOTIFY_BACKOFF = 30
    settings.CANDOR_NOTIFY_CIRCUIT_FAILURES = 3
    settings.CANDOR_WEBHOOK_ALLOW_PRIVATE = True  # the receivers live on loopback


def subscriber(
    channel: str, destination: str, *, components: list[int] | None = None, **fields: object
) -> Subscriber:
    from django.utils import timezone

    made = Subscriber.objects.create(
        channel=channel,
        destination=destination,
        state=fields.pop("state", SubscriberState.CONFIRMED),
        all_components=components is None,
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
        **fields,
    )
    if components:
        made.components.set(components)
    return made


__all__ = ["SubscriberChannel", "subscriber"]
