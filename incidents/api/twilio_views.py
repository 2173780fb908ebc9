"""/api/twilio/sms/, the inbound URL reminders used first, kept for setups that point
Twilio at it: it is the same webhook as /notify/twilio/inbound (signature check, STOP/
START/HELP, "ACK <code>"; incidents/public/subscribe.py and incidents/notify/inbound.py).
"""

from __future__ import annotations

from incidents.public.subscribe import twilio_inbound as inbound_sms

__all__ = ["inbound_sms"]
