"""One module per monitor payload format, each a `parse(document, *, now)` function.

A parser turns a decoded JSON document into normalised signals, or raises FormatError
naming the field at fault; it raises nothing else, whatever it is given (fuzzed in
tests/ingest/test_formats.py). Adding a format is one module and one line in PARSERS.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from incidents.ingest.formats import alertmanager, generic, grafana
from incidents.ingest.formats.common import FormatError, ParsedSignal
from incidents.models import SourceFormat

Parser = Callable[..., list[ParsedSignal]]

PARSERS: dict[str, Parser] = {
    SourceFormat.ALERTMANAGER: alertmanager.parse,
    SourceFormat.GRAFANA: grafana.parse,
    SourceFormat.GENERIC: generic.parse,
}


def parse(format: str, document: Any, *, now: datetime) -> list[ParsedSignal]:
    return PARSERS[format](document, now=now)


__all__ = ["PARSERS", "FormatError", "ParsedSignal", "parse"]
