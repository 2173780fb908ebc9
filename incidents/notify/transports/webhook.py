"""Webhooks: a JSON POST signed with the subscriber's secret.

`X-Candor-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe does:
the receiver recomputes it with its secret and refuses an old t (replays).
`Idempotency-Key` is the same on every attempt of one message.

Every connection goes to the address that was checked for it (`PinnedAdapter`), so a host
that changes its DNS answer between the check and the connection reaches nothing inside.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter

from incidents.models import Delivery, IncidentUpdate, Postmortem
from incidents.notify.addresses import webhook_address
from incidents.notify.render import Rendered
from incidents.notify.transports import Blame, TransportError


def signature(secret: str, body: bytes, *, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def signature_valid(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """What a receiver does; Candor uses it to check the verification echo and in tests."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        at = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, at=at), header)


def provider_for(url: str) -> str:
    """Each receiving host has its own circuit: one broken receiver stops only itself."""
    return f"webhook:{urlsplit(url).hostname}"


class PinnedAdapter(HTTPAdapter):
    """Resolves the URL's host once (`webhook_address`, which refuses private addresses)
    and connects to exactly that address.

    The URL keeps its hostname, so the Host header, the TLS server name (SNI) and the
    certificate check all use the name; only the TCP connection is pinned. urllib3 keeps
    one pool per address and server name, so a pool never serves another host.
    `allow_private` is passed to `webhook_address` (vendor polling has its own setting).
    """

    def __init__(self, *, allow_private: bool | None = None, **kwargs: Any) -> None:
        self.allow_private = allow_private
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = host_params["host"]
        try:
            host_params["host"] = webhook_address(name, allow_private=self.allow_private)
        except OSError as exc:
            raise requests.ConnectionError(f"{name!r} does not resolve", request=request) from exc
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = name
        return host_params, pool_kwargs

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # Without it urllib3 would write the pinned address into Host.
        netloc = urlsplit(request.url or "").netloc.rpartition("@")[2]
        request.headers.setdefault("Host", netloc)


class WebhookSession(requests.Session):
    """Pinned connections, and no proxy from the environment in between."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        adapter = PinnedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)


def webhook_post(
    session: WebhookSession, *, url: str, secret: str, payload: dict[str, Any], key: str
) -> requests.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Candor-Webhook/1",
        "X-Candor-Signature": signature(secret, body),
        "Idempotency-Key": key,
    }
    try:
        return session.post(
            url,
            data=body,
            headers=headers,
            timeout=settings.CANDOR_WEBHOOK_TIMEOUT,
            allow_redirects=False,  # a redirect could lead inside our network
        )
    except ValidationError as exc:
        # The name resolves inside now, so nothing is sent. It may be the receiver's DNS,
        # or ours (a split-horizon resolver, a poisoned cache): either, so the message
        # waits and is checked again, and the subscription is never stopped for it.
        raise TransportError(exc.messages[0], blame=Blame.EITHER) from exc
    except requests.RequestException as exc:
        raise TransportError(f"Webhook unreachable: {type(exc).__name__}") from exc


def _postmortem_payload(
    delivery: Delivery, postmortem: Postmortem, rendered: Rendered
) -> dict[str, Any]:
    """`postmortem.published` (docs/api.md): the postmortem as published, once per
    subscriber however often it is published again."""
    incident = postmortem.incident
    assert postmortem.published_at is not None  # only a published one is sent
    updated = postmortem.body_last_updated_at or postmortem.published_at
    return {
        "type": "postmortem.published",
        "id": delivery.key,
        "page": {"name": settings.CANDOR_PAGE_NAME, "url": settings.CANDOR_CANONICAL_URL},
        "incident": {
            "id": incident.public_id,
            "name": incident.name,
            "url": rendered.url.split("#", 1)[0],
        },
        "postmortem": {
            "id": postmortem.public_id,
            "url": rendered.url,
            "body": postmortem.published_body,
            "published_at": postmortem.published_at.isoformat(),
            "updated_at": updated.isoformat(),
        },
        "text": rendered.text,
        "unsubscribe_url": rendered.unsubscribe_url,
        "manage_url": rendered.manage_url,
    }


def payload_for(delivery: Delivery, rendered: Rendered) -> dict[str, Any]:
    update = delivery.update
    if isinstance(update, Postmortem):
        return _postmortem_payload(delivery, update, rendered)
    parent = update.incident if isinstance(update, IncidentUpdate) else update.maintenance
    return {
        "type": f"{rendered.kind}.update",
        "id": delivery.key,
        "page": {"name": settings.CANDOR_PAGE_NAME, "url": settings.CANDOR_CANONICAL_URL},
        rendered.kind: {"id": parent.public_id, "name": parent.name, "url": rendered.url},
        "update": {
            "id": update.public_id,
            "status": update.status,
            "body": update.body,
            "created_at": update.created_at.isoformat(),
        },
        "text": rendered.text,
        "unsubscribe_url": rendered.unsubscribe_url,
        # The subscription's page, where the signing secret is rotated (docs/api.md).
        "manage_url": rendered.manage_url,
    }


class WebhookSender:
    def __init__(self, *, ready: Callable[[], None]) -> None:
        self.session = WebhookSession()
        self.ready = ready

    def send(self, delivery: Delivery, rendered: Rendered) -> str:
        self.ready()
        subscriber = delivery.subscriber
        answer = webhook_post(
            self.session,
            url=subscriber.destination,
            secret=subscriber.webhook_secret,
            payload=payload_for(delivery, rendered),
            key=delivery.key,
        )
        if 200 <= answer.status_code < 300:
            return ""
        if answer.status_code == 410:
            raise TransportError("Webhook answered 410 Gone", permanent=True)
        # 5xx, 429 and timeouts are the receiver's bad moment; other 4xx are retried too
        # (a receiver mid-deploy) but do not open its circuit.
        provider = answer.status_code >= 500 or answer.status_code in (408, 429)
        raise TransportError(f"Webhook answered {answer.status_code}", provider_fault=provider)

    def close(self) -> None:
        self.session.close()
