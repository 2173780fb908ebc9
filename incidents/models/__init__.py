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
from incidents.models.ingest import (
    ComponentSignalState,
    MatchKind,
    Proposal,
    ProposalKind,
    ProposalState,
    RoutingRule,
    Signal,
    SignalStatus,
    Source,
    SourceFormat,
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
    "Component",
    "ComponentGroup",
    "ComponentSignalState",
    "ComponentStatus",
    "ComponentStatusChange",
    "IdempotencyKey",
    "Incident",
    "IncidentComponent",
    "IncidentImpact",
    "IncidentStatus",
    "IncidentUpdate",
    "Maintenance",
    "MaintenanceStatus",
    "MaintenanceUpdate",
    "MatchKind",
    "Proposal",
    "ProposalKind",
    "ProposalState",
    "PublishTarget",
    "RoutingRule",
    "Signal",
    "SignalStatus",
    "SiteVersion",
    "Source",
    "SourceFormat",
    "worst_status",
]
