"""A channel that exists only in the test suite: carrier pigeons, whose loft is a list.

It is its own module and one line in CANDOR_CHANNELS (test_dummy_channel.py), nothing
else: the proof that adding a channel touches no other file (CONTRIBUTING.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.template import engines

from incidents.models import Announcement, Delivery, Subscriber
from incidents.notify.channels import Confirmation
from incidents.notify.render import Rendered, rendered_with, update_context
from incidents.notify.transports import Blame, Sender, TransportError

PATH = "tests.notify.dummy_channel.PigeonChannel"
# A real channel keeps its words in templates/notify/<name>/; this one carries its own.
_WORDS = engines["django"].from_string(
    "{% autoescape off %}{{ title }} ({{ status }}): {{ words }} -- {{ url }} "
    "Stop: {{ unsubscribe }}{% endautoescape %}"
)


@dataclass
class Loft:
    """Where the pigeons land: every message sent, and lofts that refuse them."""

    received: list[tuple[str, str]] = field(default_factory=list)  # (loft, words)
    codes: list[tuple[str, str]] = field(default_factory=list)  # (loft, confirmation secret)
    gone: set[str] = field(default_factory=set)  # lofts that were pulled down


LOFT = Loft()


class PigeonChannel:
    name = "pigeon"
    label = "Pigeon"
    unavailable = "Pigeons are not available on this page."
    policy_channel = "web"
    per_destination_circuit = False

    def enabled(self) -> bool:
        return True

    def address_normalise(self, value: str) -> tuple[str, str]:
        loft = value.strip().lower()
        if not loft.startswith("loft-") or not loft[5:].isalnum():
            raise ValidationError("Enter a loft, such as loft-42.")
        return loft, "lofts"

    def subscribe_limits(self, destination: str) -> list[tuple[str, int, str]]:
        return []

    def secret_new(self) -> str:
        return secrets.token_urlsafe(24)

    def confirmation_send(self, subscriber: Subscriber, secret: str) -> Confirmation:
        LOFT.codes.append((subscriber.destination, secret))
        return Confirmation("pigeon sent")

    def render(self, *, update: Announcement, subscriber: Subscriber) -> Rendered:
        about = update_context(update)
        text = _WORDS.render(about.as_context())
        return rendered_with(about, subscriber, subject=about.title, text=text)

    def routes(self) -> list[str]:
        return [self.name]

    def circuit_for(self, delivery: Delivery, route: str) -> str:
        return route

    def sender(self, *, route: str, ready: Callable[[], None]) -> Sender:
        return _PigeonSender(ready)


class _PigeonSender:
    def __init__(self, ready: Callable[[], None]) -> None:
        self.ready = ready

    def send(self, delivery: Delivery, rendered: Rendered) -> str:
        loft = delivery.subscriber.destination
        if loft in LOFT.gone:  # this loft alone, for certain: the subscription stops
            raise TransportError(f"{loft} is gone", permanent=True, blame=Blame.RECIPIENT)
        self.ready()
        LOFT.received.append((loft, rendered.text))
        return ""

    def close(self) -> None:
        pass
