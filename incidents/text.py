"""What text Candor accepts at its edges, and how renderers make stored text safe to publish.

One rule for every writer (staff API, console, ingest, subscribe): `clean_text` refuses what
cannot be published everywhere, so a name typed once never breaks a feed, a snapshot, an
email header or a calendar. Refused, with a reason naming the character:

- C0 and C1 control characters and DEL (a multi-line field keeps newline, tab and the
  carriage return browsers send before a newline);
- NUL (PostgreSQL cannot store it) and lone surrogates (nothing can encode them);
- U+2028/U+2029 in a single-line field (a line break in disguise: email headers, SMS);
- bidi embedding, override and isolate controls (U+202A-E, U+2066-9): they reorder what
  readers see (a name can display as something it is not); LRM/RLM marks stay allowed;
- the noncharacters U+FFFE/U+FFFF and U+FDD0-FDEF (not allowed in XML);
- more than `max_len` characters.

Rows stored before this rule (or written by hand) still publish: renderers pass text
through `xml_safe` / `printable`, which replace what a format cannot carry.
"""

from __future__ import annotations

import re
import unicodedata

# Characters XML 1.0 cannot carry at all (section 2.2), plus its noncharacters.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\ufdd0-\ufdef]")
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE_BREAKS = "\u2028\u2029"
_MULTILINE_ALLOWED = "\n\t\r"
REPLACEMENT = "\ufffd"


class TextRefused(ValueError):
    """`field` holds text Candor does not accept; `reason` says why, for a 400 or form error."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _refused_char(char: str, *, multiline: bool) -> str | None:
    """Why this character is refused, or None."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        if multiline and char in _MULTILINE_ALLOWED:
            return None
        if code == 0:
            return "contains a NUL character."
        return f"contains the control character {_describe(char)}."
    if 0xD800 <= code <= 0xDFFF:
        return f"contains a lone surrogate U+{code:04X} (not valid Unicode text)."
    if char in _BIDI_CONTROLS:
        return f"contains the bidirectional control {_describe(char)}, which reorders text."
    if char in _LINE_BREAKS and not multiline:
        return f"contains the line break {_describe(char)}; use one line."
    if code in (0xFFFE, 0xFFFF) or 0xFDD0 <= code <= 0xFDEF:
        return f"contains the noncharacter U+{code:04X}."
    return None


# Everything _refused_char might refuse, to find the first candidate quickly.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\u2028\u2029\ufdd0-\ufdef\ufffe\uffff]"
)


def text_problem(value: str, *, max_len: int | None = None, multiline: bool = False) -> str | None:
    """The reason `value` is refused, or None when it may be stored."""
    if max_len is not None and len(value) > max_len:
        return f"at most {max_len} characters (this has {len(value)})."
    for match in _SUSPECT.finditer(value):
        reason = _refused_char(match.group(), multiline=multiline)
        if reason is not None:
            return reason
    return None


def clean_text(
    value: str, field: str, max_len: int | None = None, *, multiline: bool = False
) -> str:
    """`value` unchanged if Candor accepts it; TextRefused naming `field` otherwise."""
    reason = text_problem(value, max_len=max_len, multiline=multiline)
    if reason is not None:
        raise TextRefused(field, reason)
    return value


def text_errors(
    *, single_line: dict[str, str] | None = None, multi_line: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Form-style errors ({field: [message]}) for every field whose text is refused."""
    errors: dict[str, list[str]] = {}
    for fields, multiline in ((single_line or {}, False), (multi_line or {}, True)):
        for field, value in fields.items():
            if problem := text_problem(value, multiline=multiline):
                errors[field] = [f"This text {problem}"]
    return errors


def xml_safe(value: str) -> str:
    """`value` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub(REPLACEMENT, value)


def printable(value: str, *, multiline: bool = True) -> str:
    """Stored text as plain-text renderers (SMS, email, calendars) may send it: what
    `clean_text` would refuse becomes U+FFFD; a single line gets its line breaks as spaces."""
    if not multiline:
        value = re.sub("[\r\n\u2028\u2029]+", " ", value)

    def replace(match: re.Match[str]) -> str:
        char = match.group()
        return char if _refused_char(char, multiline=multiline) is None else REPLACEMENT

    return _SUSPECT.sub(replace, value)
