"""The one way an inbound message posts: replay check, rate limit, authentication (each
channel's own), the incident it names, the phase's approved words, lifecycle.

Only an approved template's words can go out this way, filled in as the console's draft
would be (incidents/wording/drafts.py): a text cannot carry free words past legal and
support. lifecycle.update_post checks them again, like any update.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents import lifecycle, wording
from incidents.audit import Actor
from incidents.models import (
    InboundOutcome,
    InboundPost,
    InboundPoster,
    Incident,
    Reminder,
)
from incidents.post_in.command import Command, Refused
from incidents.ratelimit import window_hit
from incidents.wording import approvals, drafts

# Attempts per sender in a window, refusals included: a PIN cannot be guessed by texting.
ATTEMPTS = 5
WINDOW_SECONDS = 15 * 60
TOO_MANY = "Too many attempts from this sender; try again in 15 minutes or use the console."


@dataclass(frozen=True)
class Outcome:
    posted: bool
    reply: str
    update_public_id: str = ""


Authenticate = Callable[[], tuple[InboundPoster, Command]]


def handle(*, channel: str, message_id: str, sender: str, authenticate: Authenticate) -> Outcome:
    """Act once on one message; a redelivery of the same message gets the first answer."""
    earlier = InboundPost.objects.filter(channel=channel, message_id=message_id).first()
    if earlier is not None:
        return _as_outcome(earlier)
    key = hashlib.sha256(f"{channel}:{sender.lower()}".encode()).hexdigest()
    if window_hit(f"candor:post-in:{key}", seconds=WINDOW_SECONDS) > ATTEMPTS:
        return Outcome(posted=False, reply=TOO_MANY)  # not recorded: a flood must not write
    poster: InboundPoster | None = None
    try:
        poster, command = authenticate()
        return _post(channel, message_id, sender, poster, command)
    except Refused as refusal:
        return _refused(channel, message_id, sender, poster, str(refusal))


def _post(
    channel: str, message_id: str, sender: str, poster: InboundPoster, command: Command
) -> Outcome:
    now = timezone.now()
    incident = incident_for(command.reference)
    if not incident.is_open:
        raise Refused(f"{incident.name[:60]} is resolved; open a new incident in the console.")
    values = drafts.incident_values(incident, phase=command.status, now=now)
    words = approvals.template_words(wording.incident_phase(command.status), values)
    if words is None:
        raise Refused(f"No approved template for {command.status}: use the console.")
    actor = Actor.staff(poster.user, channel=channel)
    try:
        with transaction.atomic():
            record = InboundPost.objects.create(
                channel=channel, message_id=message_id, sender=sender[:254], poster=poster,
                outcome=InboundOutcome.POSTED, reason="", at=now,
            )  # fmt: skip
            update = lifecycle.update_post(
                actor=actor, incident=incident, body=words, status=command.status, now=now
            )
            record.update_public_id = update.public_id
            record.reason = f"Posted {command.status} to {incident.name[:60]}"
            record.save(update_fields=["update_public_id", "reason"])
            InboundPoster.objects.filter(pk=poster.pk).update(last_posted_at=now)
    except IntegrityError:
        # The same message, delivered twice at once: the other delivery posted.
        return _as_outcome(InboundPost.objects.get(channel=channel, message_id=message_id))
    except (ValidationError, PermissionError) as error:
        raise Refused(_reason(error)) from None
    return Outcome(posted=True, reply=record.reason, update_public_id=update.public_id)


def incident_for(reference: str) -> Incident:
    """The incident an id names: its own, a reminder's about it, or the start of an open
    incident's id when only one open incident starts so."""
    exact = Incident.objects.filter(public_id=reference).first()
    if exact is not None:
        return exact
    reminder = Reminder.objects.filter(public_id=reference, incident__isnull=False).first()
    if reminder is not None and reminder.incident is not None:
        return reminder.incident
    candidates = list(
        Incident.objects.filter(public_id__startswith=reference, resolved_at__isnull=True)[:2]
    )
    if len(candidates) == 1:
        return candidates[0]
    raise Refused(f"No open incident has the id {reference}.")


def _refused(
    channel: str, message_id: str, sender: str, poster: InboundPoster | None, reason: str
) -> Outcome:
    try:
        with transaction.atomic():
            InboundPost.objects.create(
                channel=channel, message_id=message_id, sender=sender[:254], poster=poster,
                outcome=InboundOutcome.REFUSED, reason=reason[:300], at=timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        return _as_outcome(InboundPost.objects.get(channel=channel, message_id=message_id))
    return Outcome(posted=False, reply=reason)


def _as_outcome(record: InboundPost) -> Outcome:
    return Outcome(
        posted=record.outcome == InboundOutcome.POSTED,
        reply=record.reason,
        update_public_id=record.update_public_id,
    )


def _reason(error: ValidationError | PermissionError) -> str:
    if isinstance(error, PermissionError):
        return "This account cannot post updates."
    messages = [str(m) for m in error.messages] if hasattr(error, "messages") else [str(error)]
    return "Not posted: " + " ".join(messages)[:250]
