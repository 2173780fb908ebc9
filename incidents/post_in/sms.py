"""An update by text: "UPDATE <incident> <status> <PIN>" from a registered number, through
the one Twilio inbound webhook (its signature is checked before this is reached)."""

from __future__ import annotations

from incidents.models import InboundChannel, InboundPoster
from incidents.post_in.command import Command, Refused, is_update, parse
from incidents.post_in.credentials import pin_matches
from incidents.post_in.post import handle

NOT_REGISTERED = "Not posted: this number cannot post updates."


def sms_post_reply(*, sender: str, body: str, message_sid: str) -> str | None:
    """The reply to an UPDATE text (posted or why not); None for any other text."""
    if not is_update(body):
        return None
    if not message_sid or not sender:
        return "Not posted: the message came without its id."

    def authenticate() -> tuple[InboundPoster, Command]:
        poster = (
            InboundPoster.objects.select_related("user").filter(phone=sender).first()
            if sender.startswith("+")
            else None
        )
        if poster is None:
            raise Refused(NOT_REGISTERED)
        command = parse(body, with_pin=True)
        if not pin_matches(poster, command.pin):
            raise Refused("Not posted: wrong PIN.")
        return poster, command

    outcome = handle(
        channel=InboundChannel.SMS, message_id=message_sid, sender=sender,
        authenticate=authenticate,
    )  # fmt: skip
    return outcome.reply
