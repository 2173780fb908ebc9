from incidents.models.audit import AuditAction, AuditEvent
from incidents.models.components import (
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    worst_status,
)
from incidents.models.incidents import (
    Incident,
    IncidentComponent,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
)
from incidents.models.maintenance import (
    ACTIVE_MAINTENANCE,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
)

__all__ = [
    "ACTIVE_MAINTENANCE",
    "AuditAction",
    "AuditEvent",
    "Component",
    "ComponentGroup",
    "ComponentStatus",
    "ComponentStatusChange",
    "Incident",
    "IncidentComponent",
    "IncidentImpact",
    "IncidentStatus",
    "IncidentUpdate",
    "Maintenance",
    "MaintenanceStatus",
    "MaintenanceUpdate",
    "worst_status",
]
