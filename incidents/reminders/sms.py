"""SMS through Twilio: sending reminders, and checking that an inbound reply is Twilio's."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
SKIPPED = "skipped: Twilio is not configured"


class _BaseUrlHttpClient(TwilioHttpClient):
    """Sends every request of the SDK to another base URL (CANDOR_TWILIO_API_URL)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=TIMEOUT_SECONDS)
        self.base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        moved = urlunsplit(
            (self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, "")
        )
        return super().request(method, moved, *args, **kwargs)


def configured() -> bool:
    return bool(
        settings.CANDOR_TWILIO_ACCOUNT_SID
        and settings.CANDOR_TWILIO_AUTH_TOKEN
        and (settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID or settings.CANDOR_TWILIO_FROM_NUMBER)
    )


def _client() -> Client:
    base = settings.CANDOR_TWILIO_API_URL
    http_client = _BaseUrlHttpClient(base) if base else TwilioHttpClient(timeout=TIMEOUT_SECONDS)
    return Client(
        settings.CANDOR_TWILIO_ACCOUNT_SID,
        settings.CANDOR_TWILIO_AUTH_TOKEN,
        http_client=http_client,
    )


def send_all(phones: Iterable[str], body: str) -> str:
    """Send `body` to each number; a summary for the reminder's record."""
    phones = [p for p in phones if p]
    if not phones:
        return "no phone numbers"
    if not configured():
        return SKIPPED
    client = _client()
    sender: dict[str, str] = (
        {"messaging_service_sid": settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID}
        if settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID
        else {"from_": settings.CANDOR_TWILIO_FROM_NUMBER}
    )
    failed = []
    for phone in phones:
        try:
            client.messages.create(to=phone, body=body, **sender)
        except TwilioException as error:
            log.warning("SMS to %s failed: %s", phone, error)
            failed.append(phone)
    sent = len(phones) - len(failed)
    return f"sent to {sent}" + (f", failed for {', '.join(failed)}" if failed else "")


def signature_valid(url: str, params: Mapping[str, str], signature: str) -> bool:
    """True when X-Twilio-Signature signs this URL and form with our auth token."""
    token = settings.CANDOR_TWILIO_AUTH_TOKEN
    if not token or not signature:
        return False
    return bool(RequestValidator(token).validate(url, dict(params), signature))


def send_one(phone: str, body: str) -> str:
    """Send one text; Twilio's message id. Raises TwilioException (or a network error)
    for the caller to retry: whose fault it was, it cannot tell."""
    sender: dict[str, str] = (
        {"messaging_service_sid": settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID}
        if settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID
        else {"from_": settings.CANDOR_TWILIO_FROM_NUMBER}
    )
    message = _client().messages.create(to=phone, body=body, **sender)
    return str(message.sid or "")
