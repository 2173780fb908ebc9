"""Prometheus Alertmanager's webhook (payload version 4).

Alertmanager sends a group of alerts per notification; the top-level status is the
group's, so each alert's own `status` and `fingerprint` are what count (a partial resolve
keeps the group "firing"). Fields Alertmanager added across releases (`truncatedAlerts`
in 0.22, and whatever comes next) are ignored rather than refused: a sender upgrade must
not silence the status page. What is required is checked strictly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidents.ingest.formats import common
from incidents.ingest.formats.common import FormatError, ParsedSignal

VERSION = "4"


def parse(document: Any, *, now: datetime) -> list[ParsedSignal]:
    payload = common.as_object(document, "body")
    if payload.get("version") != VERSION:
        raise FormatError("version", f"must be {VERSION!r} (Alertmanager webhook version 4).")
    return alerts(payload, now=now)


def alerts(payload: dict[str, Any], *, now: datetime) -> list[ParsedSignal]:
    """The `alerts` array, the part Alertmanager and Grafana share."""
    if "alerts" not in payload:
        raise FormatError("alerts", "this field is required.")
    items = common.as_list(payload["alerts"], "alerts")
    return [_alert(item, f"alerts[{i}]", now=now) for i, item in enumerate(items)]


def _alert(item: Any, where: str, *, now: datetime) -> ParsedSignal:
    alert = common.as_object(item, where)
    if "labels" not in alert:
        raise FormatError(f"{where}.labels", "this field is required.")
    labels = common.labels(alert["labels"], f"{where}.labels")
    annotations = common.labels(
        alert.get("annotations") or {}, f"{where}.annotations", multiline=True
    )
    if "startsAt" not in alert:
        raise FormatError(f"{where}.startsAt", "this field is required.")
    return ParsedSignal(
        fingerprint=common.fingerprint(alert.get("fingerprint"), f"{where}.fingerprint", labels),
        status=common.status(alert.get("status"), f"{where}.status"),
        name=(labels.get("alertname") or "alert")[:200],
        summary=(annotations.get("summary") or annotations.get("description") or "")[:1000],
        severity=labels.get("severity", "")[:32],
        labels=labels,
        starts_at=common.timestamp(alert["startsAt"], f"{where}.startsAt", now=now),
        ends_at=common.timestamp(
            alert.get("endsAt"), f"{where}.endsAt", now=now, zero_is_unset=True
        ),
    )
