"""Grafana unified alerting's webhook contact point (payload version "1").

The alerts array has Alertmanager's shape (Grafana embeds Alertmanager), with extra
per-alert fields (`values`, `valueString`, `dashboardURL`, ...) that are ignored, as are
top-level fields such as `title`, `state`, `message` and `orgId`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidents.ingest.formats import alertmanager, common
from incidents.ingest.formats.common import FormatError, ParsedSignal

VERSION = "1"


def parse(document: Any, *, now: datetime) -> list[ParsedSignal]:
    payload = common.as_object(document, "body")
    if payload.get("version") != VERSION:
        raise FormatError("version", f"must be {VERSION!r} (Grafana webhook version 1).")
    return alertmanager.alerts(payload, now=now)
