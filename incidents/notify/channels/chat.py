"""What every chat channel does alike: a webhook URL on the provider's hosts as the
address, a confirmation message with a link (double opt-in: nothing else is posted until
it is followed), the words checked as the web page's, a circuit per provider host.

A provider's module (slack.py, teams.py, google_chat.py, discord.py) subclasses
`ChatChannel` with its name, hosts and three functions: the payload of an update, the
payload of the confirmation, and what an answer means.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from incidents.models import Announcement, Delivery, Subscriber
from incidents.notify import links
from incidents.notify.channels.registry import Confirmation
from incidents.notify.chat.hosts import Hosts, chat_url_normalise
from incidents.notify.chat.message import ChatMessage, chat_message
from incidents.notify.render import Rendered, update_rendered, words_once
from incidents.notify.transports import Sender, TransportError
from incidents.notify.transports.chat import ChatSender, chat_post
from incidents.notify.transports.webhook import WebhookSession

log = logging.getLogger(__name__)


class ChatChannel:
    name: ClassVar[str]
    label: ClassVar[str]
    provider: ClassVar[str]  # the provider's name in messages: "Slack"
    hosts: ClassVar[Hosts]
    unavailable: ClassVar[str]
    # A chat message carries the update as the page shows it, with a link to the page.
    policy_channel = "web"
    # One circuit per provider host: a Teams region that fails holds back only its flows.
    per_destination_circuit = True

    # -- what each provider's module says -------------------------------------------
    def update_payload(self, message: ChatMessage) -> dict[str, Any]:
        raise NotImplementedError

    def notice_payload(
        self, *, title: str, text: str, link: str, link_label: str
    ) -> dict[str, Any]:
        """A short message with one link: the confirmation."""
        raise NotImplementedError

    def answer_read(self, answer: requests.Response) -> TransportError | None:
        """None when the provider took the message; otherwise the error, with its Blame."""
        raise NotImplementedError

    def post_url(self, destination: str, message: ChatMessage | None) -> str:
        """Where to post: the subscriber's URL (a provider may add its own parameters)."""
        return destination

    def destination_shown(self, destination: str) -> str:
        """The URL without its secret path and query: host and last four characters."""
        host = urlsplit(destination).netloc
        return f"{host}/…{destination[-4:]}"

    # -- the Channel interface --------------------------------------------------------
    def enabled(self) -> bool:
        return True

    def address_normalise(self, value: str) -> tuple[str, str]:
        url = chat_url_normalise(value, self.hosts, provider=self.provider)
        return url, urlsplit(url).hostname or ""

    def subscribe_limits(self, destination: str) -> list[tuple[str, int, str]]:
        return []

    def secret_new(self) -> str:
        return secrets.token_urlsafe(24)

    def confirmation_send(self, subscriber: Subscriber, secret: str) -> Confirmation:
        """A message with the confirmation link, posted to the chat itself: whoever can
        read the channel can confirm, and nobody else can."""
        context = {"page": settings.CANDOR_PAGE_NAME}
        payload = self.notice_payload(
            title=_("Confirm %(page)s status updates") % {"page": settings.CANDOR_PAGE_NAME},
            text=words_once("notify/chat/confirm.txt", context),
            link=links.confirm_url(secret),
            link_label=_("Confirm"),
        )
        with WebhookSession() as session:
            try:
                answer = chat_post(
                    session, url=self.post_url(subscriber.destination, None), payload=payload
                )
            except TransportError as exc:
                log.info("%s confirmation to %s failed: %s", self.name, subscriber.public_id, exc)
                return Confirmation("unreachable")
        refusal = self.answer_read(answer)
        if refusal is not None:
            log.info("%s confirmation to %s refused: %s", self.name, subscriber.public_id, refusal)
            return Confirmation(f"refused: {refusal}"[:200])
        return Confirmation("posted")

    def render(self, *, update: Announcement, subscriber: Subscriber) -> Rendered:
        # The text the wording policy checks (fanout.py) is the words alone, as on the
        # page: the title, status, components and links are the card's own fields, and
        # counting them against the page's length limit would refuse on chat an update
        # the page published. The payload is built from the same words (`_post`).
        return update_rendered(update, subscriber, text_template="notify/chat/update.txt")

    def routes(self) -> list[str]:
        return [self.name]

    def circuit_for(self, delivery: Delivery, route: str) -> str:
        return f"{self.name}:{urlsplit(delivery.subscriber.destination).hostname}"

    def sender(self, *, route: str, ready: Callable[[], None]) -> Sender:
        return ChatSender(ready=ready, post=self._post, read=self.answer_read)

    def _post(self, delivery: Delivery, rendered: Rendered) -> tuple[str, dict[str, Any]]:
        message = chat_message(delivery.update, rendered)
        return self.post_url(delivery.subscriber.destination, message), self.update_payload(message)
