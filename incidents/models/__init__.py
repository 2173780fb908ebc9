from incidents.models.audit import AuditAction, AuditEvent
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
from incidents.models.subscribers import (
    Channel,
    Delivery,
    DeliveryState,
    Subscriber,
    SubscriberComponent,
    SubscriberState,
)

__all__ = [
    "ACTIVE_MAINTENANCE",
    "AuditAction",
    "AuditEvent",
    "Channel",
    "Component",
    "ComponentGroup",
    "ComponentStatus",
    "ComponentStatusChange",
    "Delivery",
    "DeliveryState",
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
    "SiteVersion",
    "Subscriber",
    "SubscriberComponent",
    "SubscriberState",
    "worst_status",
]
