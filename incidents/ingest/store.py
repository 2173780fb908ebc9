"""Persisting parsed signals: one row per (source, fingerprint), however often it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from incidents.ingest.formats import ParsedSignal
from incidents.models import Signal, Source

MAX_TRANSITIONS = 20  # enough for flap detection's window; older changes are dropped

_UPDATED = [
    "status", "name", "summary", "severity", "labels", "starts_at", "ends_at",
    "last_received_at", "received_count", "transitions", "routed_at",
]  # fmt: skip


def signals_store(*, source: Source, signals: Sequence[ParsedSignal], now: datetime) -> int:
    """Insert or update each signal by fingerprint; returns how many distinct ones.

    Rows are first ensured to exist (INSERT ... ON CONFLICT DO NOTHING, with a received
    count of 0 marking "new"), then locked in fingerprint order and updated, so concurrent
    requests carrying the same alert queue on its row instead of duplicating it, and
    cannot deadlock. Every stored signal has routed_at cleared: routing will look again.
    """
    latest = {s.fingerprint: s for s in signals}  # a payload repeating an alert: last wins
    fingerprints = sorted(latest)
    with transaction.atomic():
        Signal.objects.bulk_create(
            [
                Signal(
                    source=source,
                    fingerprint=fp,
                    status=latest[fp].status,
                    name=latest[fp].name,
                    first_received_at=now,
                    last_received_at=now,
                    received_count=0,
                )
                for fp in fingerprints
            ],
            ignore_conflicts=True,
        )
        rows = list(
            Signal.objects.select_for_update()
            .filter(source=source, fingerprint__in=fingerprints)
            .order_by("fingerprint")
        )
        for row in rows:
            parsed = latest[row.fingerprint]
            if row.received_count == 0 or row.status != parsed.status:
                row.transitions = [*row.transitions, [now.isoformat(), parsed.status]][
                    -MAX_TRANSITIONS:
                ]
                row.received_count = 1
            else:
                row.received_count += 1
            row.status = parsed.status
            row.name = parsed.name
            row.summary = parsed.summary
            row.severity = parsed.severity
            row.labels = parsed.labels
            row.starts_at = parsed.starts_at
            row.ends_at = parsed.ends_at
            row.last_received_at = now
            row.routed_at = None
        Signal.objects.bulk_update(rows, _UPDATED)
    return len(rows)
