"""Twilio's inbound SMS webhook: a reply "ACK <code>" acknowledges a reminder.

A Messaging Service has one inbound webhook: point it at the subscribers' one
(`/notify/twilio/inbound`, incidents/public/subscribe.py), which hands acknowledgements
to `ack_reply` here; this endpoint stays for numbers used only for reminders.

Only Twilio can call it: X-Twilio-Signature must sign the canonical URL and the form with
our auth token, or the answer is 403 and nothing is recorded.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.audit import Actor
from incidents.models import Reminder, ReminderState
from incidents.reminders import sms
from incidents.reminders.services import reminder_acknowledge

# Replies match the reminders sent to the number within this many recent ones.
RECENT = 200


def _twiml(message: str) -> HttpResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{escape(message)}</Message></Response>"
    )
    return HttpResponse(body, content_type="text/xml")


def _reminder_for(phone: str, code: str) -> Reminder | None:
    """The reminder the reply names (or the latest unacknowledged), if sent to `phone`."""
    sent = Reminder.objects.filter(state=ReminderState.SENT).order_by("-sent_at", "-pk")
    sent = sent.filter(public_id=code) if code else sent.filter(acknowledged_at__isnull=True)
    for reminder in sent[:RECENT]:
        if any(r.get("phone") == phone for r in reminder.recipients):
            return reminder
    return None


@csrf_exempt  # Twilio cannot hold a CSRF token; the signature is what authenticates it
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    # Twilio signs the URL it called: the app's public one, whatever proxy is in between.
    url = settings.CANDOR_APP_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not sms.signature_valid(url, request.POST.dict(), signature):
        return HttpResponseForbidden("invalid Twilio signature")
    reply = ack_reply(phone=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    return _twiml(reply or 'Reply "ACK <code>" to acknowledge a reminder.')


def ack_reply(*, phone: str, body: str) -> str | None:
    """Acknowledge the reminder an "ACK <code>" reply names, and say so; None when the
    message is no acknowledgement (the subscribers' inbound webhook handles the rest)."""
    words = body.strip().split()
    if not words or words[0].upper() not in {"ACK", "OK"}:
        return None
    code = words[1] if len(words) > 1 else ""
    reminder = _reminder_for(phone, code)
    if reminder is None:
        return "No reminder sent to this number matches that code."
    actor = Actor(label=f"sms:{phone}", channel="sms")
    reminder_acknowledge(actor=actor, reminder=reminder)
    return f"Acknowledged reminder {reminder.public_id}. Thank you."
