"""SMS reminders to staff, through Candor's one Twilio integration
(notify/transports/twilio.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from twilio.base.exceptions import TwilioException

from incidents.notify.transports.twilio import configured, sent_as, twilio_client

log = logging.getLogger(__name__)

SKIPPED = "skipped: Twilio is not configured"
__all__ = ["configured", "send_all"]


def send_all(phones: Iterable[str], body: str) -> str:
    """Send `body` to each number; a summary for the reminder's record."""
    phones = [p for p in phones if p]
    if not phones:
        return "no phone numbers"
    if not configured():
        return SKIPPED
    client = twilio_client()
    sender = sent_as()
    failed = []
    for phone in phones:
        try:
            client.messages.create(to=phone, body=body, **sender)
        except TwilioException as error:
            log.warning("SMS to %s failed: %s", phone, error)
            failed.append(phone)
    sent = len(phones) - len(failed)
    return f"sent to {sent}" + (f", failed for {', '.join(failed)}" if failed else "")


def send_one(phone: str, body: str) -> str:
    """Send one text; Twilio's message id. Raises TwilioException (or a network error)
    for the caller to retry: whose fault it was, it cannot tell."""
    message = twilio_client().messages.create(to=phone, body=body, **sent_as())
    return str(message.sid or "")
