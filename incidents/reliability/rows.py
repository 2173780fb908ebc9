"""Loading the stored rows the figures are computed from: a few flat queries for any
span of time, whatever the number of components or incidents, and no model instances."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min, OuterRef, Q, Subquery

from incidents.audiences.viewer import current_viewer
from incidents.audiences.visibility import incidents_visible, maintenance_visible
from incidents.cadence import Gap
from incidents.models import (
    Component,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceComponent,
)
from incidents.models.cadence import MAX_INTERVAL_MINUTES
from incidents.reliability.figures import IncidentFacts
from incidents.selectors import public_components
from incidents.text import printable
from incidents.uptime import Interval

StatusInterval = tuple[datetime, datetime, str]


@dataclass(frozen=True)
class ComponentRef:
    pk: int
    public_id: str
    name: str


@dataclass(frozen=True)
class Rows:
    """What happened in [start, end): per component, its statuses (start, end, status) and
    its maintenance as it ran; the incidents open at any time in it, and what they touched."""

    start: datetime
    end: datetime
    statuses: dict[int, list[StatusInterval]]
    maintenance: dict[int, list[Interval]]
    incidents: tuple[IncidentFacts, ...]
    touched: dict[str, frozenset[int]]  # incident public id -> component pks


def components_in_order(hidden: frozenset[int]) -> list[ComponentRef]:
    """The components the report may show, as the status page orders them."""
    rows = (
        public_components()
        .exclude(pk__in=hidden)
        .order_by("position", "name", "pk")
        .values_list("pk", "public_id", "name")
    )
    # Names as stored may hold what the forms refuse (a row written by hand): control and
    # bidi characters become U+FFFD here, for every format alike.
    return [
        ComponentRef(pk, public_id, printable(name, multiline=False))
        for pk, public_id, name in rows
    ]


def _statuses(pks: list[int], start: datetime, end: datetime) -> dict[int, list[StatusInterval]]:
    before = dict(
        Component.objects.filter(pk__in=pks)
        .annotate(
            before=Subquery(
                ComponentStatusChange.objects.filter(component=OuterRef("pk"), at__lt=start)
                .order_by("-at", "-pk")
                .values("status")[:1]
            )
        )
        .values_list("pk", "before")
    )
    points: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for pk in pks:
        if before.get(pk):
            points[pk].append((start, before[pk]))
    for pk, at, status in (
        ComponentStatusChange.objects.filter(component_id__in=pks, at__gte=start, at__lt=end)
        .order_by("at", "pk")
        .values_list("component_id", "at", "status")
    ):
        points[pk].append((at, status))
    # As selectors.component_uptime_both_ways has it: each status until the next change.
    return {
        pk: [
            (at, changes[i + 1][0] if i + 1 < len(changes) else end, status)
            for i, (at, status) in enumerate(changes)
        ]
        for pk, changes in points.items()
    }


def _maintenance(pks: list[int], start: datetime, end: datetime) -> dict[int, list[Interval]]:
    # As selectors.maintenance_intervals: as it ran, started to completed (or to `end`).
    result: dict[int, list[Interval]] = defaultdict(list)
    for pk, started, completed in MaintenanceComponent.objects.filter(
        Q(maintenance__completed_at__isnull=True) | Q(maintenance__completed_at__gt=start),
        maintenance__in=maintenance_visible(Maintenance.objects.all(), current_viewer()),
        component_id__in=pks,
        maintenance__started_at__isnull=False,
        maintenance__started_at__lt=end,
    ).values_list("component_id", "maintenance__started_at", "maintenance__completed_at"):
        if started is not None:
            result[pk].append((started, completed or end))
    return result


def _open_in(start: datetime, end: datetime, prefix: str = "") -> Q:
    """Incidents open at some time in [start, end), or resolved less than a day before it:
    a promise is due at most a day after the post that made it (models/cadence.py)."""
    reach = start - timedelta(minutes=MAX_INTERVAL_MINUTES)
    return (
        Q(**{f"{prefix}resolved_at__isnull": True}) | Q(**{f"{prefix}resolved_at__gte": reach})
    ) & Q(**{f"{prefix}started_at__lt": end})


def _incidents(start: datetime, end: datetime) -> list[IncidentFacts]:
    rows = list(
        incidents_visible(Incident.objects.filter(_open_in(start, end)), current_viewer())
        .annotate(first_post=Min("updates__created_at"))
        .order_by("started_at", "pk")
        .values_list(
            "pk", "public_id", "impact", "started_at", "first_post", "resolved_at", "status",
            "next_update_due",
        )
    )  # fmt: skip
    promises: dict[int, list[Gap]] = defaultdict(list)
    for incident_id, due_at, created_at in (
        IncidentUpdate.objects.filter(incident_id__in=[r[0] for r in rows], due_at__isnull=False)
        .order_by("created_at", "pk")
        .values_list("incident_id", "due_at", "created_at")
    ):
        if due_at is not None:
            promises[incident_id].append(Gap(due_at=due_at, posted_at=created_at))
    facts = []
    for pk, public_id, impact, started, first_post, resolved, status, next_due in rows:
        gaps = promises[pk]
        if status != IncidentStatus.RESOLVED and next_due is not None:
            gaps.append(Gap(due_at=next_due, posted_at=None))  # outstanding, as cadence has it
        facts.append(IncidentFacts(public_id, impact, started, first_post, resolved, tuple(gaps)))
    return facts


def rows_load(
    components: Sequence[ComponentRef], *, start: datetime, end: datetime, now: datetime
) -> Rows:
    """The rows of [start, min(end, now)): nothing after `now` is observed yet."""
    end = min(end, now)
    pks = [c.pk for c in components]
    if end <= start:
        return Rows(start, end, {}, {}, (), {})
    touched: dict[str, set[int]] = defaultdict(set)
    for public_id, component_id in IncidentComponent.objects.filter(
        _open_in(start, end, "incident__"),
        incident__in=incidents_visible(Incident.objects.all(), current_viewer()),
    ).values_list("incident__public_id", "component_id"):
        touched[public_id].add(component_id)
    return Rows(
        start=start,
        end=end,
        statuses=_statuses(pks, start, end),
        maintenance=_maintenance(pks, start, end),
        incidents=tuple(_incidents(start, end)),
        touched={k: frozenset(v) for k, v in touched.items()},
    )
