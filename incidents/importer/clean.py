"""What a row from Statuspage may hold before it is stored here.

The source is another system's database, written over years: anything can be in it. Text
that Candor's edges refuse (text.py) is cleaned where that loses nothing a reader needs —
a control or bidi character becomes U+FFFD, a name longer than ours is shortened — and
reported; a body longer than any update may be, a timestamp that does not parse, an
unknown status: the row is not mapped, and the report says which and why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from incidents.text import printable, text_problem

MAX_NAME_LENGTH = 200  # as lifecycle's
MAX_BODY_LENGTH = 20_000
MAX_ID_LENGTH = 64
# Statuspage's first incidents date from 2013; nothing imported predates the web.
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)


class NotMapped(ValueError):
    """This row cannot be stored; the message is the report's reason."""


def source_id(row: Any) -> str:
    if not isinstance(row, dict):
        raise NotMapped("not an object")
    value = row.get("id")
    if not isinstance(value, str | int) or not str(value).strip():
        raise NotMapped("has no id")
    text = str(value)
    if len(text) > MAX_ID_LENGTH or text_problem(text, multiline=False):
        raise NotMapped("has an unusable id")
    return text


def text(
    row: dict[str, Any],
    key: str,
    *,
    limit: int,
    multiline: bool,
    required: bool = False,
    cleaned: list[str] | None = None,
) -> str:
    """The text at `key`, cleaned where safe; `cleaned` collects what was changed."""
    value = row.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise NotMapped(f"{key} is not text")
    if required and not value.strip():
        raise NotMapped(f"{key} is empty")
    if len(value) > limit:
        if multiline:
            raise NotMapped(f"{key} has {len(value)} characters (at most {limit})")
        value = value[: limit - 1].rstrip() + "…"
        if cleaned is not None:
            cleaned.append(f"{key} shortened to {limit} characters")
    if text_problem(value, multiline=multiline):
        value = printable(value, multiline=multiline)
        if cleaned is not None:
            cleaned.append(f"{key}: characters that cannot be published were replaced")
    return value.strip() if not multiline else value


def timestamp(row: dict[str, Any], key: str, *, required: bool, now: datetime) -> datetime | None:
    """An aware datetime from Statuspage's ISO 8601, not before 1995 nor in the future
    (scheduled maintenance may be: `now` is then far enough ahead)."""
    value = row.get(key)
    if value in (None, ""):
        if required:
            raise NotMapped(f"{key} is missing")
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise NotMapped(f"{key} is not a timestamp")
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise NotMapped(f"{key} is not a timestamp ({value[:40]!r})")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not EARLIEST <= parsed <= now:
        raise NotMapped(f"{key} is out of range ({value[:40]!r})")
    return parsed


def choice(row: dict[str, Any], key: str, allowed: Any, *, default: str | None = None) -> str:
    value = row.get(key)
    if value in allowed:
        return str(value)
    if default is not None and value in (None, ""):
        return default
    raise NotMapped(f"{key} {str(value)[:40]!r} is not one of {', '.join(allowed)}")
