"""Webhooks: a signed JSON POST; confirmed by echoing a challenge; a circuit per host."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.models import Announcement, Delivery, Subscriber
from incidents.models.subscribers import new_webhook_secret
from incidents.notify import links
from incidents.notify.addresses import webhook_normalise
from incidents.notify.channels.registry import Confirmation
from incidents.notify.render import Rendered, update_rendered
from incidents.notify.transports import Sender, TransportError
from incidents.notify.transports.webhook import (
    WebhookSender,
    WebhookSession,
    provider_for,
    webhook_post,
)

log = logging.getLogger(__name__)
NAME = "webhook"


class WebhookChannel:
    name = NAME
    label = "Webhook"
    unavailable = gettext_noop("Webhooks are not available on this page.")
    policy_channel = "web"  # a webhook carries the update as the web page shows it
    per_destination_circuit = True  # one broken receiver stops only itself

    def enabled(self) -> bool:
        return True

    def address_normalise(self, value: str) -> tuple[str, str]:
        url = webhook_normalise(value)
        return url, urlsplit(url).hostname or ""

    def subscribe_limits(self, destination: str) -> list[tuple[str, int, str]]:
        return []

    def secret_new(self) -> str:
        return secrets.token_urlsafe(24)

    def confirmation_send(self, subscriber: Subscriber, secret: str) -> Confirmation:
        """A challenge the receiver confirms by echoing it in its answer's body."""
        with WebhookSession() as session:
            try:
                answer = webhook_post(
                    session,
                    url=subscriber.destination,
                    secret=subscriber.webhook_secret,
                    payload={
                        "type": "verification",
                        "challenge": secret,
                        "page": settings.CANDOR_PAGE_NAME,
                        # Shown once, here, to the receiver alone: it verifies every
                        # delivery with it (docs/api.md), and rotates it with the manage link.
                        "secret": subscriber.webhook_secret,
                        "manage_url": links.manage_url(subscriber.public_id),
                    },
                    key=f"verify-{subscriber.public_id}",
                )
            except TransportError as exc:
                log.info("webhook verification of %s failed: %s", subscriber.public_id, exc)
                return Confirmation("unreachable")
        if answer.ok and secret in answer.text[:10_000]:
            return Confirmation("echoed", proven=True)
        return Confirmation(f"not echoed ({answer.status_code})")

    def render(self, *, update: Announcement, subscriber: Subscriber) -> Rendered:
        return update_rendered(update, subscriber, text_template="notify/webhook/update.txt")

    def routes(self) -> list[str]:
        return [self.name]

    def circuit_for(self, delivery: Delivery, route: str) -> str:
        return provider_for(delivery.subscriber.destination)

    def sender(self, *, route: str, ready: Callable[[], None]) -> Sender:
        return WebhookSender(ready=ready)


def webhook_secret_rotate(*, subscriber: Subscriber) -> str:
    """A new signing secret for a webhook subscriber; the caller shows it once.

    Deliveries are signed with it from now on: the old one stops verifying at once.
    """
    if subscriber.channel != NAME:
        raise ValidationError(_("Only webhooks have a signing secret."))
    secret = new_webhook_secret()
    Subscriber.objects.filter(pk=subscriber.pk).update(webhook_secret=secret)
    subscriber.webhook_secret = secret
    return secret
