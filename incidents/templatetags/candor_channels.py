"""`{{ subscriber.channel|channel_label }}`: a channel's name as people read it."""

from __future__ import annotations

from django import template

from incidents.notify.channels import channels_all

register = template.Library()


@register.filter
def channel_label(name: str) -> str:
    # A channel since removed from CANDOR_CHANNELS still has subscribers to list.
    found = channels_all().get(name)
    return found.label if found is not None else name
