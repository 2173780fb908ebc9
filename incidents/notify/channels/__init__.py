"""Notification channels as plug-ins: one `Channel` per module, found through a registry.

The fan-out (fanout.py) and the subscription services (subscriptions.py) name no channel:
they look a subscriber's `channel` up here and call the interface. A channel is listed in
the setting CANDOR_CHANNELS by its dotted path (as Django lists email backends), so adding
one is its own module and one line there; CONTRIBUTING.md walks through it.
"""

from __future__ import annotations

from incidents.notify.channels.registry import (
    Channel,
    Confirmation,
    Costed,
    CountryCost,
    MessageCost,
    channel_get,
    channel_names,
    channels_all,
    costed_channels,
    destination_normalise,
    message_render,
)

__all__ = [
    "Channel",
    "Confirmation",
    "Costed",
    "CountryCost",
    "MessageCost",
    "channel_get",
    "channel_names",
    "channels_all",
    "costed_channels",
    "destination_normalise",
    "message_render",
]
