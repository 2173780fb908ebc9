"""A realistic-size site, written in bulk: groups of components and a long resolved history.

Lifecycle would take minutes for 10,000 incidents; the rows it would write are written
directly instead (incidents, their components, three updates each, and the component
status changes the uptime bars are computed from), as they would be after the fact.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentUpdate,
)

GROUP_SIZE = 10
_STATUSES = ("degraded_performance", "partial_outage", "major_outage")
_IMPACT = {"degraded_performance": "minor", "partial_outage": "major", "major_outage": "critical"}
_WHAT = (
    "Elevated error rates on",
    "Increased latency for",
    "Delayed processing in",
    "Intermittent timeouts reaching",
    "Degraded performance of",
)


def seed_site(*, components: int, incidents: int, days: int, now: datetime, seed: int = 16) -> None:
    """`components` in groups of ten, `incidents` resolved ones spread over the last `days`
    days, each touching one or two components for 20 minutes to 3 hours."""
    rng = random.Random(seed)
    groups = ComponentGroup.objects.bulk_create(
        ComponentGroup(name=f"Region {n + 1}", position=n)
        for n in range((components + GROUP_SIZE - 1) // GROUP_SIZE)
    )
    made = Component.objects.bulk_create(
        Component(
            name=f"Service {n + 1:03d}",
            group=groups[n // GROUP_SIZE],
            position=n,
            description="" if n % 3 else f"What service {n + 1} does for customers",
        )
        for n in range(components)
    )
    start = now - timedelta(days=days)
    ComponentStatusChange.objects.bulk_create(
        ComponentStatusChange(component=c, status="operational", at=start - timedelta(days=1))
        for c in made
    )
    rows, plans = [], []
    for n in range(incidents):
        opened = start + timedelta(seconds=rng.uniform(0, days * 86400 - 4 * 3600))
        resolved = opened + timedelta(minutes=rng.randint(20, 180))
        status = rng.choice(_STATUSES)
        touched = rng.sample(made, rng.choice((1, 1, 2)))
        name = f"{rng.choice(_WHAT)} {touched[0].name} (#{n + 1})"
        rows.append(
            Incident(
                name=name, status="resolved", impact=_IMPACT[status], started_at=opened,
                identified_at=opened + timedelta(minutes=10), resolved_at=resolved,
                created_at=opened, updated_at=resolved,
            )
        )  # fmt: skip
        plans.append((touched, status, opened, resolved))
    rows = Incident.objects.bulk_create(rows, batch_size=1000)
    links, updates, changes = [], [], []
    for incident, (touched, status, opened, resolved) in zip(rows, plans, strict=True):
        for component in touched:
            links.append(IncidentComponent(incident=incident, component=component, status=status))
            changes.append(ComponentStatusChange(component=component, status=status, at=opened))
            changes.append(
                ComponentStatusChange(component=component, status="operational", at=resolved)
            )
        for state, at, text in (
            ("investigating", opened, "We are investigating reports of errors."),
            ("identified", opened + timedelta(minutes=10), "We have identified the cause."),
            ("resolved", resolved, "This incident has been resolved."),
        ):
            updates.append(
                IncidentUpdate(
                    incident=incident, status=state, body=text, body_html=f"<p>{text}</p>",
                    created_at=at, display_at=at,
                )
            )  # fmt: skip
    IncidentComponent.objects.bulk_create(links, batch_size=1000)
    IncidentUpdate.objects.bulk_create(updates, batch_size=1000)
    ComponentStatusChange.objects.bulk_create(changes, batch_size=1000)
