"""The imported components' status history, rebuilt from what was imported: the uptime
bars and figures (uptime.py) read ComponentStatusChange, so imported incidents count.

Statuspage gives each update's affected_components (old and new status, at the update's
time) and each window's start and end. Per component, each imported incident lays its
statuses over the time it was open and each window lays "under maintenance" over the time
it ran; the component's status at any moment is the worst of what lies over it, as
lifecycle derives it for live incidents. Rebuilt whole on every run, and only before the
moment the component was imported (its `cutover`, where the status it came over with is
recorded once): what Candor recorded since is its own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Q

from incidents.models import (
    Component,
    ComponentStatus,
    ComponentStatusChange,
    ImportedObject,
    IncidentComponent,
    IncidentUpdate,
    MaintenanceComponent,
    worst_status,
)

# (start, end, status): one thing lying over a component for a while.
Span = tuple[datetime, datetime, str]


def history_rebuild(*, page_id: str) -> int:
    """Rewrite the history of every component imported from `page_id`; rows written."""
    cutovers = dict(
        ImportedObject.objects.filter(page_id=page_id, kind="component").values_list(
            "target_id", "created_at"
        )
    )
    components = list(Component.objects.filter(pk__in=cutovers))
    spans = _incident_spans(components, cutovers)
    for component_id, more in _maintenance_spans(cutovers).items():
        spans[component_id].extend(more)
    written = 0
    for component in components:
        cutover = cutovers[component.pk]
        start = (
            datetime.combine(component.start_date, datetime.min.time(), tzinfo=UTC)
            if (component.start_date)
            else cutover
        )
        start = min([start, *(s for s, _, _ in spans[component.pk])])
        changes = _changes(start, spans[component.pk], cutover)
        # The status it came over with, written once, at the first run: a later run finds
        # it (staff may have changed the status since, in rows of Candor's own after it).
        rows = ComponentStatusChange.objects.filter(component=component)
        if not rows.filter(at=cutover).exists():
            changes.append((cutover, component.status))
        rows.filter(at__lt=cutover).delete()
        ComponentStatusChange.objects.bulk_create(
            ComponentStatusChange(component=component, status=status, at=at)
            for at, status in changes
        )
        written += len(changes)
    return written


def _changes(start: datetime, spans: list[Span], cutover: datetime) -> list[tuple[datetime, str]]:
    """The status at each moment it changed, from `start` (operational) to before `cutover`."""
    moments = sorted({start, *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    changes: list[tuple[datetime, str]] = []
    for moment in moments:
        if moment >= cutover:
            break
        over = [status for s, e, status in spans if s <= moment < e]
        status = worst_status(over).value
        if not changes or changes[-1][1] != status:
            changes.append((moment, status))
    return changes


def _incident_spans(
    components: list[Component], cutovers: dict[int, datetime]
) -> dict[int, list[Span]]:
    spans: dict[int, list[Span]] = defaultdict(list)
    pk_by_code = {c.public_id: c.pk for c in components}
    rows = IncidentComponent.objects.filter(
        component_id__in=cutovers, incident__imported=True
    ).values_list("incident_id", "component_id", "status", "incident__started_at",
                  "incident__resolved_at")  # fmt: skip
    by_incident: dict[int, list[tuple[int, str, datetime, datetime | None]]] = defaultdict(list)
    for incident_id, component_id, status, started, resolved in rows:
        by_incident[incident_id].append((component_id, status, started, resolved))
    said: dict[tuple[int, int], list[tuple[datetime, str]]] = defaultdict(list)
    for incident_id, display_at, affected in (
        IncidentUpdate.objects.filter(incident_id__in=by_incident)
        .order_by("display_at", "pk")
        .values_list("incident_id", "display_at", "affected_components")
    ):
        for entry in affected or []:
            pk = pk_by_code.get(str(entry.get("code"))) if isinstance(entry, dict) else None
            if pk is not None and entry.get("new_status") in ComponentStatus.values:
                said[(incident_id, pk)].append((display_at, entry["new_status"]))
    for incident_id, affected_rows in by_incident.items():
        for component_id, status, started, resolved in affected_rows:
            end = resolved or cutovers[component_id]
            steps = said.get((incident_id, component_id)) or [(started, status)]
            for index, (at, step_status) in enumerate(steps):
                until = steps[index + 1][0] if index + 1 < len(steps) else end
                begin, until = max(at, started), min(until, end)
                if until > begin and step_status != ComponentStatus.OPERATIONAL:
                    spans[component_id].append((begin, until, step_status))
    return spans


def _maintenance_spans(cutovers: dict[int, datetime]) -> dict[int, list[Span]]:
    spans: dict[int, list[Span]] = defaultdict(list)
    for component_id, impact, started, completed in MaintenanceComponent.objects.filter(
        Q(maintenance__started_at__isnull=False),
        component_id__in=cutovers,
        maintenance__imported=True,
    ).values_list("component_id", "impact", "maintenance__started_at", "maintenance__completed_at"):
        end = completed or cutovers[component_id]
        if started is not None and end > started and impact != ComponentStatus.OPERATIONAL:
            spans[component_id].append((started, end, impact))
    return spans
