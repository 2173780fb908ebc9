"""What the parsers share: the normalised signal, the one error they raise, and checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from incidents.text import text_problem

MAX_SIGNALS = 1000
MAX_LABELS = 64
MAX_LABEL_NAME = 100
MAX_LABEL_VALUE = 1000
MAX_TEXT = 1000
# Timestamps outside these bounds are a broken clock or a broken sender, not an alert.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=7)
# Alertmanager's and Grafana's "not set" time (Go's zero time.Time).
GO_ZERO_TIME = "0001-01-01T00:00:00Z"

FIRING = "firing"
RESOLVED = "resolved"


class FormatError(Exception):
    """The document is not what the format says; `field` is where, as a path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ParsedSignal:
    fingerprint: str
    status: str  # FIRING or RESOLVED
    name: str
    summary: str = ""
    severity: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def as_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(where, "must be a JSON object.")
    return value


def as_list(value: Any, where: str, *, limit: int = MAX_SIGNALS) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(where, "must be a JSON array.")
    if len(value) > limit:
        raise FormatError(where, f"at most {limit} items (this has {len(value)}).")
    return value


def _check_chars(value: str, where: str, *, multiline: bool) -> None:
    # The same rule as every other writer (incidents/text.py): a NUL or a lone surrogate
    # cannot be stored, a control character would break the feeds and email headers.
    if problem := text_problem(value, multiline=multiline):
        raise FormatError(where, problem)


def text(
    document: dict[str, Any],
    key: str,
    where: str,
    *,
    required: bool = True,
    limit: int = MAX_TEXT,
    multiline: bool = False,
) -> str:
    path = f"{where}.{key}" if where else key
    if key not in document or document[key] is None:
        if required:
            raise FormatError(path, "this field is required.")
        return ""
    value = document[key]
    if not isinstance(value, str):
        raise FormatError(path, "must be a string.")
    if required and not value.strip():
        raise FormatError(path, "must not be empty.")
    if len(value) > limit:
        raise FormatError(path, f"at most {limit} characters.")
    _check_chars(value, path, multiline=multiline)
    return value


def labels(value: Any, where: str, *, multiline: bool = False) -> dict[str, str]:
    """Names and values as strings; values on one line unless `multiline` (annotations)."""
    mapping = as_object(value, where)
    if len(mapping) > MAX_LABELS:
        raise FormatError(where, f"at most {MAX_LABELS} labels.")
    for name, label in mapping.items():
        if len(name) > MAX_LABEL_NAME:
            raise FormatError(where, f"label names are at most {MAX_LABEL_NAME} characters.")
        if not isinstance(label, str):
            raise FormatError(f"{where}.{name}", "must be a string.")
        if len(label) > MAX_LABEL_VALUE:
            raise FormatError(f"{where}.{name}", f"at most {MAX_LABEL_VALUE} characters.")
        _check_chars(name, where, multiline=False)
        _check_chars(label, f"{where}.{name}", multiline=multiline)
    return dict(mapping)


def status(value: Any, where: str) -> str:
    if value not in (FIRING, RESOLVED):
        raise FormatError(where, "must be 'firing' or 'resolved'.")
    return str(value)


def timestamp(
    value: Any, where: str, *, now: datetime, zero_is_unset: bool = False
) -> datetime | None:
    """An RFC 3339 time with its offset, between 2000 and a week from now."""
    if value is None or (zero_is_unset and value == GO_ZERO_TIME):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise FormatError(where, "must be an RFC 3339 time string.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FormatError(where, f"{value!r} is not an RFC 3339 time.") from None
    if parsed.tzinfo is None:
        raise FormatError(where, "must carry a UTC offset (e.g. 'Z').")
    if parsed < EARLIEST or parsed > now + MAX_AHEAD:
        raise FormatError(where, f"{value} is not a plausible time for an alert.")
    return parsed.astimezone(UTC)


def labels_fingerprint(values: dict[str, str]) -> str:
    """For senders that give none: the same labels are the same alert, as Alertmanager has it."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def fingerprint(value: Any, where: str, fallback: dict[str, str]) -> str:
    if value is None or value == "":
        return labels_fingerprint(fallback)
    if not isinstance(value, str) or len(value) > 128:
        raise FormatError(where, "must be a string of at most 128 characters.")
    _check_chars(value, where, multiline=False)
    return value
