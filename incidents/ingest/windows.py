"""Which components are inside a running maintenance window, for routing and evaluation.

A window runs from its start until it is completed: while in progress or verifying, and
also once its start time has come if the beat is about to start it (auto_start), so a
monitor that fires the second the work begins is not ahead of the sweep. A window left
for staff to start (auto_start off) counts only once started.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q

from incidents.models import (
    ACTIVE_MAINTENANCE,
    Maintenance,
    MaintenanceComponent,
    MaintenanceStatus,
)


def running(now: datetime) -> Q:
    """The windows (as a Maintenance filter) whose components are under maintenance."""
    return Q(status__in=ACTIVE_MAINTENANCE) | Q(
        status=MaintenanceStatus.SCHEDULED,
        auto_start=True,
        scheduled_for__lte=now,
        scheduled_until__gt=now,
    )


def components_in_window(*, now: datetime, component_ids: Iterable[int] | None = None) -> set[int]:
    windows = Maintenance.objects.filter(running(now)).values("pk")
    rows = MaintenanceComponent.objects.filter(maintenance__in=windows)
    if component_ids is not None:
        rows = rows.filter(component_id__in=list(component_ids))
    return set(rows.values_list("component_id", flat=True))
