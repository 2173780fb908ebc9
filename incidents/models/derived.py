"""What the public page derives from the records, as pure functions: a component's public
status and the page's overall indicator. Lifecycle stores the first (statuses.py), the
selectors compute the second, and the out-of-band CLI, which has no database, applies
both to what the bundle carries (publish/oob_post.py): one rule for all three."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from incidents.models.components import ComponentStatus, worst_status
from incidents.models.incidents import IncidentImpact
from incidents.models.maintenance import MaintenanceImpact


def component_status(
    manual_status: str, incident_statuses: Iterable[str], maintenance_impacts: Iterable[str]
) -> ComponentStatus:
    """A component's public status: the worst of its baseline (set by hand), what the
    open incidents naming it hold it at, and the expected impact of each maintenance
    window in progress on it ("no visible impact" is operational, so it changes nothing;
    an impact written by hand that is no choice counts as under maintenance)."""
    from_windows = [
        impact if impact in MaintenanceImpact.values else MaintenanceImpact.UNDER_MAINTENANCE
        for impact in maintenance_impacts
    ]
    return worst_status([manual_status, *incident_statuses, *from_windows])


@dataclass(frozen=True)
class PageIndicator:
    indicator: str  # none, minor, major, critical: Statuspage's status.indicator
    description: str


_INDICATOR_RANK = {"none": 0, "minor": 1, "major": 2, "critical": 3}
_INDICATOR_FROM_COMPONENT = {
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
_INDICATOR_DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}


def page_indicator(
    component_statuses: list[str], open_incident_impacts: list[str], maintenance_active: bool
) -> PageIndicator:
    """Statuspage's status.indicator: the worst of components and open incidents' impact."""
    candidates = ["none"]
    candidates += [
        _INDICATOR_FROM_COMPONENT.get(ComponentStatus(s), "none") for s in component_statuses
    ]
    candidates += [IncidentImpact(i).value for i in open_incident_impacts]
    indicator = max(candidates, key=_INDICATOR_RANK.__getitem__)
    if indicator == "none" and maintenance_active:
        return PageIndicator("none", "Service Under Maintenance")
    return PageIndicator(indicator, _INDICATOR_DESCRIPTION[indicator])
