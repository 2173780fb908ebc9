"""SMS through Twilio's Messaging Service, with a status callback back to Candor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from django.urls import reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from incidents.models import Delivery
from incidents.notify import links
from incidents.notify.render import Rendered
from incidents.notify.transports import Blame, TransportError
from incidents.notify.transports.twilio import sent_as, twilio_client

# Twilio error codes that mean this number will never take our messages.
PERMANENT_CODES = {
    21211,  # invalid 'To' number
    21610,  # the recipient replied STOP
    21614,  # not a mobile number
}
# Our account or sender, not the number: every text would fail alike. Kept, retried later,
# and counted against the circuit; never a reason to stop a subscription.
ACCOUNT_CODES = {
    20003,  # authentication failed
    20005,  # account not active
    21408,  # sending to this region is not enabled on our account
    21606,  # our sender number cannot send this message
    21608,  # a trial account may only text verified numbers
    21703,  # the Messaging Service has no sender for this number
    21704,  # the Messaging Service has no senders at all
    21705,  # the Messaging Service is invalid
}
# Could be the number (a landline behind a carrier) or our route to its carrier: retried,
# never stopped on; a run of them pauses texting like a provider failure (fanout.py).
UNCLEAR_CODES = {
    21612,  # cannot route to this number
}


def status_callback_url() -> str:
    return links.app_absolute(reverse("public:twilio_status"))


def sms_send(client: Client, *, to: str, body: str, status_callback: bool = True) -> str:
    """Send one text; its SID. Used by the fan-out and by SMS confirmation codes."""
    options: dict[str, Any] = {}
    if status_callback:
        options["status_callback"] = status_callback_url()
    try:
        message = client.messages.create(to=to, body=body, **sent_as(), **options)
    except TwilioRestException as exc:
        if exc.code in PERMANENT_CODES:
            raise TransportError(f"Twilio {exc.code}: {exc.msg}", permanent=True) from exc
        if exc.code in UNCLEAR_CODES:
            raise TransportError(f"Twilio {exc.code}: {exc.msg}", blame=Blame.EITHER) from exc
        # 429 and 5xx are Twilio's trouble, 401 and 403 our account's; another 4xx is
        # about this message.
        provider = (
            exc.status == 429
            or exc.status >= 500
            or exc.status in (401, 403)
            or exc.code in ACCOUNT_CODES
        )
        raise TransportError(
            f"Twilio {exc.status} {exc.code or ''}: {exc.msg}".strip(), provider_fault=provider
        ) from exc
    except (TwilioException, requests.RequestException) as exc:
        raise TransportError(f"Twilio unreachable: {exc}") from exc
    return str(message.sid)


class SmsSender:
    def __init__(self, *, ready: Callable[[], None]) -> None:
        self.client = twilio_client()
        self.ready = ready

    def send(self, delivery: Delivery, rendered: Rendered) -> str:
        self.ready()
        return sms_send(self.client, to=delivery.subscriber.destination, body=rendered.text)

    def close(self) -> None:
        pass
