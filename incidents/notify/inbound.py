"""What a text to any of our numbers does, whichever inbound webhook Twilio calls.

Twilio's keywords are honoured for everyone we text, subscribers and reminder contacts
alike: STOP (and STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT…) stops texts to the number,
START/UNSTOP resumes them, HELP/INFO says who we are and how to stop. Staff answer a
reminder with "ACK <code>". Twilio itself confirms STOP and START to the phone (its
compliance replies), so those get no message of ours.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from incidents.audit import Actor, audit_record
from incidents.models import AuditAction, Contact, Reminder, ReminderState
from incidents.notify.channels.sms import HELP_WORDS, START_WORDS, STOP_WORDS, sms_inbound
from incidents.notify.render import words_once
from incidents.reminders.services import reminder_acknowledge

# Replies match the reminders sent to the number within this many recent ones.
RECENT = 200


def _ack_hint() -> str:
    return words_once("notify/sms/ack_hint.txt", {})


def sms_reply(*, sender: str, body: str) -> str:
    """Act on the text `body` from `sender`; the reply to send back ("" for none)."""
    word = body.strip().upper()
    contacts = Contact.objects.filter(phone=sender) if sender else Contact.objects.none()
    if word in STOP_WORDS:
        _contacts_texts(contacts.filter(sms_stopped_at__isnull=True), sender, word, stop=True)
    elif word in START_WORDS:
        _contacts_texts(contacts.filter(sms_stopped_at__isnull=False), sender, word, stop=False)
    acknowledged = ack_reply(phone=sender, body=body)
    if acknowledged is not None:
        return acknowledged
    reply = sms_inbound(sender=sender, body=body)
    if word in HELP_WORDS and contacts.exists():
        return words_once("notify/sms/help_staff.txt", {"help": reply, "hint": _ack_hint()})
    if not reply and word not in STOP_WORDS | START_WORDS and contacts.exists():
        return _ack_hint()
    return reply


def _contacts_texts(contacts: QuerySet[Contact], phone: str, word: str, *, stop: bool) -> None:
    """Stop or resume reminder texts to these contacts, in the audit log as the phone."""
    now = timezone.now()
    actor = Actor(label=f"sms:{phone}", channel="sms")
    with transaction.atomic():
        for contact in contacts.select_for_update():
            contact.sms_stopped_at = now if stop else None
            contact.save(update_fields=["sms_stopped_at"])
            what = "no reminder texts until START" if stop else "reminder texts resume"
            audit_record(
                actor=actor,
                action=AuditAction.CONTACT_SAVED,
                target=contact,
                summary=f"{contact.name}'s phone replied {word}: {what}",
                at=now,
            )


def _reminder_for(phone: str, code: str) -> Reminder | None:
    """The reminder the reply names (or the latest unacknowledged), if sent to `phone`."""
    sent = Reminder.objects.filter(state=ReminderState.SENT).order_by("-sent_at", "-pk")
    sent = sent.filter(public_id=code) if code else sent.filter(acknowledged_at__isnull=True)
    for reminder in sent[:RECENT]:
        if any(r.get("phone") == phone for r in reminder.recipients):
            return reminder
    return None


def ack_reply(*, phone: str, body: str) -> str | None:
    """Acknowledge the reminder an "ACK <code>" reply names, and say so; None when the
    message is no acknowledgement."""
    words = body.strip().split()
    if not words or words[0].upper() not in {"ACK", "OK"}:
        return None
    code = words[1] if len(words) > 1 else ""
    reminder = _reminder_for(phone, code)
    if reminder is None:
        return words_once("notify/sms/ack_unknown.txt", {})
    actor = Actor(label=f"sms:{phone}", channel="sms")
    reminder_acknowledge(actor=actor, reminder=reminder)
    return words_once("notify/sms/ack_done.txt", {"code": reminder.public_id})
