"""The send forecast of a post not yet made: the same body as posting, nothing written.

Each function builds the update as the lifecycle would (unsaved) with the components
the lifecycle would give the outbox, and forecasts it (forecast.py). The words are not
checked against the wording policy here: the post is, and the forecast only counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from incidents.models import (
    Component,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    NotifyScope,
)
from incidents.notify.costs.forecast import Forecast, send_forecast
from incidents.notify.costs.gate import scope_check
from incidents.text import text_problem


def _check(body: str, *, limit: int, status: str, statuses: type) -> None:
    errors: dict[str, list[str]] = {}
    if not body.strip():
        errors["body"] = ["This field is required."]
    elif len(body) > limit:
        errors["body"] = [f"At most {limit} characters (this has {len(body)})."]
    elif problem := text_problem(body, multiline=True):
        errors["body"] = [f"This text {problem}"]
    if status not in statuses.values:  # type: ignore[attr-defined]
        errors["status"] = [f"{status!r} is not a status."]
    if errors:
        raise ValidationError(errors)


def incident_update_forecast(
    *,
    incident: Incident,
    body: str,
    status: str,
    components: Iterable[Component] = (),
    scope: str = NotifyScope.ALL,
    body_limit: int,
) -> Forecast:
    """Posting this update to an open incident (`components`: added or changed ones)."""
    _check(body, limit=body_limit, status=status, statuses=IncidentStatus)
    scope_check(scope)
    ids = {c.pk for c in components}
    ids |= set(
        IncidentComponent.objects.filter(incident=incident).values_list("component_id", flat=True)
    )
    draft = IncidentUpdate(incident=incident, status=status, body=body)
    return send_forecast(update=draft, component_ids=ids, scope=scope)


def incident_open_forecast(
    *,
    name: str,
    body: str,
    status: str,
    components: Iterable[Component] = (),
    scope: str = NotifyScope.ALL,
    body_limit: int,
) -> Forecast:
    _check(body, limit=body_limit, status=status, statuses=IncidentStatus)
    scope_check(scope)
    draft = IncidentUpdate(incident=Incident(name=name.strip()), status=status, body=body)
    return send_forecast(update=draft, component_ids={c.pk for c in components}, scope=scope)


def maintenance_update_forecast(
    *,
    maintenance: Maintenance,
    body: str,
    status: str,
    scope: str = NotifyScope.ALL,
    body_limit: int,
) -> Forecast:
    _check(body, limit=body_limit, status=status, statuses=MaintenanceStatus)
    scope_check(scope)
    ids = set(maintenance.components.values_list("pk", flat=True))
    draft = MaintenanceUpdate(maintenance=maintenance, status=status, body=body)
    return send_forecast(update=draft, component_ids=ids, scope=scope)


def maintenance_schedule_forecast(
    *,
    name: str,
    body: str,
    components: Iterable[Component] = (),
    scope: str = NotifyScope.ALL,
    body_limit: int,
) -> Forecast:
    status = MaintenanceStatus.SCHEDULED
    _check(body, limit=body_limit, status=status, statuses=MaintenanceStatus)
    scope_check(scope)
    draft = MaintenanceUpdate(maintenance=Maintenance(name=name.strip()), status=status, body=body)
    return send_forecast(update=draft, component_ids={c.pk for c in components}, scope=scope)
