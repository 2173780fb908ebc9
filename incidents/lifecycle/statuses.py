"""Components' public status, derived from whatever affects them, and what an update
records of the change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import (
    ACTIVE_MAINTENANCE,
    Component,
    ComponentStatusChange,
    IncidentComponent,
    MaintenanceComponent,
    component_status,
)


def recompute_statuses(
    component_ids: Iterable[int], *, now: datetime
) -> dict[int, tuple[str, str]]:
    """Set each component's public status to the worst of what affects it.

    Returns {component_id: (old, new)} for every component whose status changed, and
    writes a history row for each (the uptime bars read those).
    """
    ids = sorted(set(component_ids))
    if not ids:
        return {}
    # Locked in primary-key order so two concurrent writers cannot deadlock.
    components = list(Component.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    held: dict[int, list[str]] = defaultdict(list)
    for component_id, status in IncidentComponent.objects.filter(
        component_id__in=ids, incident__resolved_at__isnull=True
    ).values_list("component_id", "status"):
        held[component_id].append(status)
    windows: dict[int, list[str]] = defaultdict(list)
    for component_id, impact in MaintenanceComponent.objects.filter(
        component_id__in=ids, maintenance__status__in=ACTIVE_MAINTENANCE
    ).values_list("component_id", "impact"):
        windows[component_id].append(impact)
    changes: dict[int, tuple[str, str]] = {}
    history = []
    for component in components:
        new = component_status(component.manual_status, held[component.pk], windows[component.pk])
        if new != component.status:
            changes[component.pk] = (component.status, new.value)
            component.status = new
            component.save(update_fields=["status", "updated_at"])
            history.append(ComponentStatusChange(component=component, status=new, at=now))
    ComponentStatusChange.objects.bulk_create(history)
    if changes:
        # Whoever changed them, what depends on them may be affected (dependencies/).
        enqueue_on_commit(
            "incidents.tasks.impact_propagate", sorted(changes), fallback=Fallback.HERE
        )
    return changes


def affected_record(
    components: Iterable[Component], changes: Mapping[int, tuple[str, str]]
) -> list[dict[str, str]]:
    """Statuspage's affected_components for an update: every component it names."""
    record = []
    for component in sorted(components, key=lambda c: (c.position, c.name)):
        old, new = changes.get(component.pk, (component.status, component.status))
        record.append(
            {
                "code": component.public_id,
                "name": component.name,
                "old_status": old,
                "new_status": new,
            }
        )
    return record
