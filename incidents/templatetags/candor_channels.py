"""`{{ subscriber.channel|channel_label }}`: a channel's name as people read it;
`{{ subscriber|destination_shown }}`: where it goes, without the secrets in it."""

from __future__ import annotations

from django import template

from incidents.models import Subscriber
from incidents.notify.channels import channels_all

register = template.Library()


@register.filter
def channel_label(name: str) -> str:
    # A channel since removed from CANDOR_CHANNELS still has subscribers to list.
    found = channels_all().get(name)
    return found.label if found is not None else name


@register.filter
def destination_shown(subscriber: Subscriber) -> str:
    """The destination as pages show it: a chat webhook URL is a credential (whoever has
    it can post to that channel), so only its host and last characters are shown."""
    found = channels_all().get(subscriber.channel)
    shown = getattr(found, "destination_shown", None)
    return shown(subscriber.destination) if shown is not None else subscriber.destination
