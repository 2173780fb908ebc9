"""What an inbound message asks for: "UPDATE <incident> <status>" and, by SMS, the PIN.

Pure parsing, so every refusal has its reason in words before anything is looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from incidents.models import IncidentStatus
from incidents.text import text_problem

STATUSES = {status.value: status.value for status in IncidentStatus}
# What a thumb types on a phone: a few short forms.
STATUSES |= {"investigate": "investigating", "identify": "identified", "monitor": "monitoring",
             "resolve": "resolved", "fixed": "resolved"}  # fmt: skip
# An incident's or a reminder's public id, or the start of an open incident's id.
_REFERENCE = re.compile(r"^[0-9a-z]{4,12}$")
_PIN = re.compile(r"^[0-9]{6,12}$")
# A command is short; anything longer is not one (and is not echoed back).
MAX_COMMAND = 200
USAGE = "Send: UPDATE <incident id> <investigating|identified|monitoring|resolved>"


class Refused(Exception):
    """Why a message posts nothing, in words for its sender."""


@dataclass(frozen=True)
class Command:
    reference: str
    status: str
    pin: str = ""


def is_update(text: str) -> bool:
    """Whether a message is meant as an update (other texts go on to STOP, ACK...)."""
    words = text.strip().split(maxsplit=1)
    return bool(words) and words[0].upper() == "UPDATE"


def parse(text: str, *, with_pin: bool) -> Command:
    if text_problem(text, max_len=MAX_COMMAND, multiline=True) is not None:
        raise Refused(USAGE)
    words = text.split()
    expected = 4 if with_pin else 3
    if len(words) != expected or words[0].upper() != "UPDATE":
        raise Refused(USAGE + (" <PIN>" if with_pin else ""))
    reference, status = words[1].lower(), STATUSES.get(words[2].lower())
    if not _REFERENCE.match(reference):
        raise Refused("That is not an incident id: use the id in the reminder or page link.")
    if status is None:
        raise Refused(USAGE)
    pin = words[3] if with_pin else ""
    if with_pin and not _PIN.match(pin):
        raise Refused("The PIN is 6 to 12 digits, last in the message.")
    return Command(reference=reference, status=status, pin=pin)
