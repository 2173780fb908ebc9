"""Candor's one Twilio integration: the client, who we send as, and the inbound signature.

Subscriber texts (transports/sms.py), staff reminders (reminders/sms.py) and both inbound
webhooks (public/subscribe.py) use it, so a setting, a timeout or a proxy is honoured the
same way everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests
from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"
TIMEOUT_SECONDS = 10


class _HttpClient(TwilioHttpClient):
    """The SDK's own client with a timeout; CANDOR_TWILIO_API_URL moves its host (tests,
    benchmarks).

    requests looks up proxy and CA settings in the environment on every request, a scan
    of os.environ that cost a fifth of each text's time (bench/README.md). They are read
    once per client here instead (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE still apply).
    """

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        assert self.session is not None
        self.proxy = requests.utils.get_environ_proxies(settings.CANDOR_TWILIO_API_BASE)
        self.session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self.session.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        base = settings.CANDOR_TWILIO_API_BASE
        if base != TWILIO_API and url.startswith(TWILIO_API):
            url = base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def configured() -> bool:
    """Whether texts can be sent at all (reminders may send from a number alone)."""
    return bool(
        settings.CANDOR_TWILIO_ACCOUNT_SID
        and settings.CANDOR_TWILIO_AUTH_TOKEN
        and (settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID or settings.CANDOR_TWILIO_FROM_NUMBER)
    )


def twilio_client() -> Client:
    return Client(
        settings.CANDOR_TWILIO_ACCOUNT_SID,
        settings.CANDOR_TWILIO_AUTH_TOKEN,
        http_client=_HttpClient(timeout=TIMEOUT_SECONDS),
    )


def sent_as() -> dict[str, str]:
    """Who a text comes from: the Messaging Service when there is one, else the number."""
    if settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID:
        return {"messaging_service_sid": settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID}
    return {"from_": settings.CANDOR_TWILIO_FROM_NUMBER}


def signature_valid(url: str, params: Mapping[str, str], signature: str) -> bool:
    """True when X-Twilio-Signature signs this URL and form with our auth token."""
    token = settings.CANDOR_TWILIO_AUTH_TOKEN
    if not token or not signature:
        return False
    return bool(RequestValidator(token).validate(url, dict(params), signature))
