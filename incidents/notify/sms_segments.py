"""How many SMS segments a text takes, by the GSM 03.38 / 3GPP TS 23.040 rules.

A text in the GSM-7 alphabet takes 160 septets in one segment, or 153 per segment when it
is split (the other 7 carry the concatenation header); a character of the extension table
takes two septets (escape + character), and the pair is never split across segments. Any
other character makes the whole text UCS-2: 70 UTF-16 code units in one segment, 67 per
segment split, and a surrogate pair (an emoji) is never split. This is how Twilio counts
(its segment calculator and "What the Heck is a Segment?"), and how it bills.

Written here rather than taken from a library: PyPI has a GSM codec (gsm0338) but no
maintained segment counter; the rule is the table below and a dozen lines.
"""

from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 basic character set (the escape, 0x1B, is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each takes two septets.
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
SEGMENT_SIZES = {GSM7: (160, 153), UCS2: (70, 67)}  # (one segment, each of several)


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int  # segments billed; 0 for an empty text


def _units(text: str) -> tuple[str, list[int]]:
    """The encoding and each character's size in its units."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        return GSM7, [2 if c in GSM7_EXTENDED else 1 for c in text]
    return UCS2, [2 if ord(c) > 0xFFFF else 1 for c in text]


def sms_segments(text: str) -> Segments:
    encoding, sizes = _units(text)
    total = sum(sizes)
    single, each = SEGMENT_SIZES[encoding]
    if total <= single:
        return Segments(encoding, total, 1 if total else 0)
    count, room = 1, each
    for size in sizes:  # a character that does not fit whole starts the next segment
        if size > room:
            count, room = count + 1, each
        room -= size
    return Segments(encoding, total, count)
