"""Candor's own JSON, for scripts: strict, so a typo is an error rather than silence.

Either a list of signals:

    {"signals": [{"fingerprint": "db-latency", "status": "firing", "name": "DB latency",
                  "summary": "p99 over 2 s", "severity": "critical",
                  "labels": {"service": "api"}, "starts_at": "2026-11-23T19:00:00Z"}]}

or one component's state, for `curl`:

    {"component": "API", "status": "major_outage", "summary": "Health check failing"}

where `status` is a component status (operational resolves) or firing/resolved. The
plain form routes by the `component` label it is given (ingest/routing.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidents.ingest.formats import common
from incidents.ingest.formats.common import FormatError, ParsedSignal
from incidents.models import ComponentStatus

SIGNAL_FIELDS = {
    "fingerprint",
    "status",
    "name",
    "summary",
    "severity",
    "labels",
    "starts_at",
    "ends_at",
}
PLAIN_FIELDS = {"component", "status", "summary"}


def parse(document: Any, *, now: datetime) -> list[ParsedSignal]:
    payload = common.as_object(document, "body")
    if "signals" in payload:
        _refuse_unknown(payload, {"signals"}, "")
        items = common.as_list(payload["signals"], "signals")
        return [_signal(item, f"signals[{i}]", now=now) for i, item in enumerate(items)]
    _refuse_unknown(payload, PLAIN_FIELDS, "")
    return [_plain(payload)]


def _refuse_unknown(document: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in sorted(set(document) - allowed):
        name = key or '""'  # an empty key still needs a visible name
        path = f"{where}.{name}" if where else name
        raise FormatError(path, f"unknown field; allowed: {', '.join(sorted(allowed))}.")


def _signal(item: Any, where: str, *, now: datetime) -> ParsedSignal:
    signal = common.as_object(item, where)
    _refuse_unknown(signal, SIGNAL_FIELDS, where)
    labels = common.labels(signal.get("labels") or {}, f"{where}.labels")
    return ParsedSignal(
        fingerprint=common.text(signal, "fingerprint", where, limit=128),
        status=common.status(signal.get("status"), f"{where}.status"),
        name=common.text(signal, "name", where, limit=200),
        summary=common.text(signal, "summary", where, required=False, multiline=True),
        severity=common.text(signal, "severity", where, required=False, limit=32),
        labels=labels,
        starts_at=common.timestamp(signal.get("starts_at"), f"{where}.starts_at", now=now),
        ends_at=common.timestamp(signal.get("ends_at"), f"{where}.ends_at", now=now),
    )


def _plain(payload: dict[str, Any]) -> ParsedSignal:
    component = common.text(payload, "component", "", limit=200)
    state = payload.get("status")
    if state in (common.FIRING, common.RESOLVED):
        status, severity = str(state), ""
    elif state in ComponentStatus.values and state != ComponentStatus.UNDER_MAINTENANCE:
        operational = state == ComponentStatus.OPERATIONAL
        status = common.RESOLVED if operational else common.FIRING
        severity = "" if operational else str(state)
    else:
        allowed = [s for s in ComponentStatus.values if s != ComponentStatus.UNDER_MAINTENANCE]
        raise FormatError("status", f"must be firing, resolved or one of: {', '.join(allowed)}.")
    return ParsedSignal(
        fingerprint=f"component:{component.strip().lower()}"[:128],
        status=status,
        name=f"{component.strip()} status"[:200],
        summary=common.text(payload, "summary", "", required=False, multiline=True),
        severity=severity,
        labels={"component": component.strip()},
    )
