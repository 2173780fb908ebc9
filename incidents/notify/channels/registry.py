"""The `Channel` interface and the registry that finds channels by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from incidents.models import Announcement, Delivery, Subscriber
from incidents.notify.render import Rendered
from incidents.notify.transports import Sender
from incidents.notify.transports.lanes import Lanes
from incidents.text import text_problem


@dataclass(frozen=True)
class Confirmation:
    """What sending a confirmation did: `outcome` for the task's log; `proven` when the
    destination proved it is theirs in the same exchange (a webhook echoing the challenge),
    so the subscription is confirmed at once."""

    outcome: str
    proven: bool = False


class Channel(Protocol):
    """One way of reaching subscribers (email, SMS, webhook, ...).

    Senders raise `TransportError` with a `Blame` (transports/__init__.py): the fan-out
    stops a subscription only on a permanent refusal that is surely the recipient's, and
    counts everything that could be the provider's against the circuit.
    """

    name: str  # stored in Subscriber.channel and Delivery.channel: at most 32 characters
    label: str  # what people read: "Email", "SMS"
    unavailable: str  # the refusal to subscribe while it is not `enabled` (gettext_noop)
    policy_channel: str  # the wording policy's channel its words are checked as
    # True: a circuit per destination (each webhook host), checked per delivery, and an
    # open one fails only that delivery. False: one circuit per route; open stops the run.
    per_destination_circuit: bool

    def enabled(self) -> bool:
        """Whether it can send now (configured); when not, nothing is claimed or offered."""
        ...

    def address_normalise(self, value: str) -> tuple[str, str]:
        """(destination as stored, the country or domain it counts against in the
        subscription rate limits); ValidationError with a reason the person can act on."""
        ...

    def subscribe_limits(self, destination: str) -> list[tuple[str, int, str]]:
        """Rate limits of its own on subscribing, beyond IP, destination and prefix:
        (key, allowed per hour, what the refusal names)."""
        ...

    def secret_new(self) -> str:
        """The confirmation secret (a link's token, a code typed on a phone)."""
        ...

    def confirmation_send(self, subscriber: Subscriber, secret: str) -> Confirmation: ...

    def render(self, *, update: Announcement, subscriber: Subscriber) -> Rendered:
        """The words of one notification, from templates/notify/<name>/."""
        ...

    def routes(self) -> list[str]:
        """Providers to send through, preferred first; each has its own rate limit and
        circuit (limits.py). The fan-out takes the first whose circuit is not open."""
        ...

    def circuit_for(self, delivery: Delivery, route: str) -> str:
        """The circuit a delivery's failures count against."""
        ...

    def sender(self, *, route: str, ready: Callable[[], None]) -> Sender | Lanes:
        """A sender for one batch through `route` (transports/__init__.py: `ready`)."""
        ...


@dataclass(frozen=True)
class CountryCost:
    country: str  # ISO code, "" when the number names none
    recipients: int
    price: Decimal | None  # per segment; None: no price configured for it


@dataclass(frozen=True)
class MessageCost:
    """What one update costs on a channel that charges per message (the forecast)."""

    encoding: str  # GSM-7 or UCS-2
    segments: int  # per message
    by_country: list[CountryCost]
    # The provider's own sending rate in segments per second (Twilio's per-sender
    # throughput), beside the route's token bucket; None: only the bucket.
    segments_per_second: float | None


@runtime_checkable
class Costed(Protocol):
    """A channel that charges per message (SMS) has this too; the send forecast prices
    it, the SMS cost cap counts it, and "email and chat only" skips it. A channel
    without it (email, webhooks, chat) costs nothing per message."""

    def message_cost(
        self, *, text: str, prefixes: Iterable[tuple[str, int]], unprefixed: Iterable[str]
    ) -> MessageCost:
        """`prefixes`: (prefix address_normalise gave when they subscribed, how many
        recipients); `unprefixed`: the destinations of rows stored without one."""
        ...


def costed_channels() -> list[str]:
    return [name for name, channel in channels_all().items() if isinstance(channel, Costed)]


_loaded: tuple[tuple[str, ...], dict[str, Channel]] | None = None


def channels_all() -> dict[str, Channel]:
    """Every channel in CANDOR_CHANNELS, by name, in the setting's order."""
    global _loaded
    paths = tuple(settings.CANDOR_CHANNELS)
    if _loaded is None or _loaded[0] != paths:  # tests change the setting
        found: dict[str, Channel] = {}
        for path in paths:
            channel: Channel = import_string(path)()
            if channel.name in found or len(channel.name) > 32:
                raise ValueError(f"channel name {channel.name!r} is taken or too long")
            found[channel.name] = channel
        _loaded = (paths, found)
    return _loaded[1]


def channel_names() -> list[str]:
    return list(channels_all())


def channel_get(name: str) -> Channel:
    """The channel stored as `name`; KeyError for one no longer (or never) configured."""
    return channels_all()[name]


def destination_normalise(channel: str, value: str) -> tuple[str, str]:
    """(normalised destination, country or domain it counts against for rate limits)."""
    # Before any channel's own parsing: a U+2028 in an email domain once passed the
    # validator and then broke the confirmation email's headers.
    if problem := text_problem(value.strip(), multiline=False):
        raise ValidationError({"destination": [f"This address {problem}"]})
    found = channels_all().get(channel)
    if found is None:
        raise ValidationError(f"{channel!r} is not one of: {', '.join(channel_names())}.")
    return found.address_normalise(value)


def message_render(*, channel: str, update: Announcement, subscriber: Subscriber) -> Rendered:
    """The notification `channel` sends `subscriber` about `update`, in its templates."""
    return channel_get(channel).render(update=update, subscriber=subscriber)
