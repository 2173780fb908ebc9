from incidents.models.audit import AuditAction, AuditEvent
from incidents.models.cadence import (
    CadencePolicy,
    Contact,
    Reminder,
    ReminderKind,
    ReminderState,
)
from incidents.models.components import (
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    worst_status,
)
from incidents.models.idempotency import IdempotencyKey
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
from incidents.models.publish import PublishTarget, SiteVersion

__all__ = [
    "ACTIVE_MAINTENANCE",
    "AuditAction",
    "AuditEvent",
    "CadencePolicy",
    "Component",
    "ComponentGroup",
    "ComponentStatus",
    "ComponentStatusChange",
    "Contact",
    "IdempotencyKey",
    "Incident",
    "IncidentComponent",
    "IncidentImpact",
    "IncidentStatus",
    "IncidentUpdate",
    "Maintenance",
    "MaintenanceStatus",
    "MaintenanceUpdate",
    "PublishTarget",
    "Reminder",
    "ReminderKind",
    "ReminderState",
    "SiteVersion",
    "worst_status",
]
