"""Cadence compliance: how well promised updates were kept, per incident and overall.

Each follow-up update records the due time it answered (IncidentUpdate.due_at), so the
report is arithmetic over two queries, whatever the number of incidents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents.cadence import Compliance, Gap, compliance, median
from incidents.models import Incident, IncidentUpdate

WINDOW_DAYS = 90


@dataclass(frozen=True)
class IncidentCompliance:
    incident: Incident
    gaps: tuple[Gap, ...]
    summary: Compliance


@dataclass(frozen=True)
class Report:
    since: datetime
    overall: Compliance
    median_time_to_first_update: timedelta | None
    incidents: tuple[IncidentCompliance, ...]  # newest first


def _gaps(incident: Incident, answered: list[tuple[datetime, datetime]]) -> tuple[Gap, ...]:
    gaps = [Gap(due_at=due, posted_at=posted) for due, posted in answered]
    if incident.is_open and incident.next_update_due is not None:
        gaps.append(Gap(due_at=incident.next_update_due, posted_at=None))
    return tuple(gaps)


def _answered(incidents: list[Incident]) -> dict[int, list[tuple[datetime, datetime]]]:
    by_incident: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    rows = (
        IncidentUpdate.objects.filter(incident__in=incidents, due_at__isnull=False)
        .order_by("created_at", "pk")
        .values_list("incident_id", "due_at", "created_at")
    )
    for incident_id, due_at, created_at in rows:
        if due_at is not None:  # filtered above; the type cannot know
            by_incident[incident_id].append((due_at, created_at))
    return by_incident


def incident_compliance(incident: Incident, *, now: datetime) -> IncidentCompliance:
    gaps = _gaps(incident, _answered([incident])[incident.pk])
    return IncidentCompliance(
        incident, gaps, compliance(gaps, now=now, opened_at=incident.started_at)
    )


def compliance_report(*, now: datetime, days: int = WINDOW_DAYS) -> Report:
    """Incidents opened in the last `days`: each one's record and the whole."""
    since = now - timedelta(days=days)
    incidents = list(Incident.objects.filter(started_at__gte=since).order_by("-started_at", "-pk"))
    answered = _answered(incidents)
    rows = []
    for incident in incidents:
        gaps = _gaps(incident, answered[incident.pk])
        summary = compliance(gaps, now=now, opened_at=incident.started_at)
        rows.append(IncidentCompliance(incident, gaps, summary))
    firsts = [
        r.summary.time_to_first_update for r in rows if r.summary.time_to_first_update is not None
    ]
    return Report(
        since=since,
        overall=compliance([g for r in rows for g in r.gaps], now=now),
        median_time_to_first_update=median(firsts),
        incidents=tuple(rows),
    )
