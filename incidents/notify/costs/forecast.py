"""The send forecast: before an update goes out, what it will send, cost and take.

Per channel: how many messages (the outbox's own selection, outbox._wanting), and for a
channel that charges per message (channels.Costed: SMS) the segments of the words as
they will be sent, times the recipients, priced per country; and how long the fan-out
takes at the configured rates. Channels run side by side, so the whole takes as long as
the slowest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from incidents.models import (
    Announcement,
    NotifyScope,
    Subscriber,
)
from incidents.notify.channels import Costed, CountryCost, channels_all, costed_channels
from incidents.notify.outbox import wanting_by_prefix, wanting_counts, wanting_unprefixed

DEFAULT_RATE = 100  # messages per second of a route with no CANDOR_NOTIFY_RATE entry


@dataclass(frozen=True)
class ChannelForecast:
    channel: str
    label: str
    messages: int
    seconds: float  # at the route's rate (and, for SMS, the sender's throughput)
    enabled: bool = True  # False: configured off, so its messages wait until it is on
    skipped: int = 0  # subscribers who get nothing this time (email and chat only)
    encoding: str = ""  # of a costed channel's text: GSM-7 or UCS-2
    segments_per_message: int = 0
    segments: int = 0  # segments x recipients
    cost: Decimal = Decimal(0)
    by_country: list[CountryCost] = field(default_factory=list)
    unpriced: int = 0  # recipients in a country with no price (CANDOR_SMS_PRICES)


@dataclass(frozen=True)
class Forecast:
    scope: str
    channels: list[ChannelForecast]
    currency: str

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.channels)

    @property
    def cost(self) -> Decimal:
        return sum((c.cost for c in self.channels), Decimal(0))

    @property
    def seconds(self) -> float:
        return max((c.seconds for c in self.channels), default=0.0)

    def as_dict(self) -> dict[str, object]:
        """For the API and the audit log: amounts as strings, never floats."""
        return {
            "notify": self.scope,
            "messages": self.messages,
            "sms_cost": f"{self.cost:.2f}",
            "currency": self.currency,
            "seconds": round(self.seconds, 1),
            "channels": [
                {
                    "channel": c.channel,
                    "label": c.label,
                    "enabled": c.enabled,
                    "messages": c.messages,
                    "skipped": c.skipped,
                    "seconds": round(c.seconds, 1),
                    "encoding": c.encoding,
                    "segments_per_message": c.segments_per_message,
                    "segments": c.segments,
                    "cost": f"{c.cost:.4f}",
                    "unpriced": c.unpriced,
                    "countries": [
                        {
                            "country": k.country,
                            "recipients": k.recipients,
                            "price_per_segment": None if k.price is None else str(k.price),
                        }
                        for k in c.by_country
                    ],
                }
                for c in self.channels
            ],
        }


def _rate(route: str) -> float:
    return float(settings.CANDOR_NOTIFY_RATE.get(route.split(":")[0], DEFAULT_RATE))


def send_forecast(
    *,
    update: Announcement,
    component_ids: Iterable[int],
    scope: str = NotifyScope.ALL,
) -> Forecast:
    """What posting `update` (saved or not: a draft is enough) would send.

    `component_ids` are the components the outbox would be given for it.
    """
    ids = sorted(set(component_ids))
    counts = {} if scope == NotifyScope.NONE else wanting_counts(update, ids)
    skip = set(costed_channels()) if scope == NotifyScope.FREE_ONLY else set()
    known = channels_all()
    # Every registered channel, then any a subscriber still has but the settings dropped.
    names = [*known, *sorted(set(counts) - set(known))]
    rows = []
    for name in names:
        channel = known.get(name)
        wanted = counts.get(name, 0)
        if channel is None:
            rows.append(ChannelForecast(name, name, wanted, 0.0, enabled=False))
            continue
        if name in skip:
            rows.append(ChannelForecast(name, channel.label, 0, 0.0, skipped=wanted))
            continue
        routes = channel.routes()
        seconds = wanted / _rate(routes[0]) if routes else 0.0
        row = ChannelForecast(name, channel.label, wanted, seconds, enabled=channel.enabled())
        if isinstance(channel, Costed) and wanted:
            row = _priced(row, channel, update, ids)
        rows.append(row)
    return Forecast(scope=scope, channels=rows, currency=settings.CANDOR_SMS_CURRENCY)


def _priced(
    row: ChannelForecast,
    channel: Costed,
    update: Announcement,
    ids: list[int],
) -> ChannelForecast:
    # The words as this channel will send them; every subscriber's rendering is the
    # same length (their links differ only in an id of fixed length).
    sample = Subscriber(channel=row.channel, destination="")
    text = channels_all()[row.channel].render(update=update, subscriber=sample).text
    prefixes = wanting_by_prefix(update, ids, channel=row.channel)
    cost = channel.message_cost(
        text=text,
        prefixes=prefixes,
        unprefixed=(
            wanting_unprefixed(update, ids, channel=row.channel)
            if any(not prefix for prefix, _ in prefixes)
            else ()
        ),
    )
    segments = cost.segments * row.messages
    money = sum(
        (k.price * cost.segments * k.recipients for k in cost.by_country if k.price is not None),
        Decimal(0),
    )
    seconds = row.seconds
    if cost.segments_per_second:
        seconds = max(seconds, segments / cost.segments_per_second)
    return ChannelForecast(
        row.channel,
        row.label,
        row.messages,
        seconds,
        enabled=row.enabled,
        encoding=cost.encoding,
        segments_per_message=cost.segments,
        segments=segments,
        cost=money,
        by_country=cost.by_country,
        unpriced=sum(k.recipients for k in cost.by_country if k.price is None),
    )
