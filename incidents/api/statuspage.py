"""Statuspage v2 shapes: pure functions from selector dataclasses to JSON-ready dicts.

Clients written for Atlassian Statuspage (status widgets, chat bots, monitoring
dashboards) read these field by field, so names, types and nullability follow Statuspage
exactly; docs/api.md documents what Candor puts in each field. Nothing here queries the
database, so the live views and the static snapshot render identical bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings

from incidents.branding.brand import page_name
from incidents.models import PageIndicator
from incidents.rendering import plain_text
from incidents.selectors import (
    ComponentView,
    GroupView,
    IncidentView,
    MaintenanceView,
    StatusSummary,
    UpdateView,
)

Json = dict[str, Any]

# Statuspage reports times in the page's time zone; Candor's page is always UTC.
TIME_ZONE = "Etc/UTC"
MAINTENANCE_IMPACT = "maintenance"


@dataclass(frozen=True)
class Page:
    id: str
    name: str
    url: str
    updated_at: datetime


def page_from_settings(updated_at: datetime) -> Page:
    return Page(
        id=settings.CANDOR_PAGE_ID,
        name=page_name(),
        url=settings.CANDOR_CANONICAL_URL,
        updated_at=updated_at,
    )


def timestamp(value: datetime | None) -> str | None:
    """Statuspage's format: ISO 8601 with milliseconds, e.g. 2026-11-23T16:41:55.123Z."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def page_json(page: Page) -> Json:
    return {
        "id": page.id,
        "name": page.name,
        "url": page.url,
        "time_zone": TIME_ZONE,
        "updated_at": timestamp(page.updated_at),
    }


def status_json(indicator: PageIndicator) -> Json:
    return {"indicator": indicator.indicator, "description": indicator.description}


def component_json(component: ComponentView, page: Page) -> Json:
    return {
        "id": component.public_id,
        "name": component.name,
        "status": component.status,
        "created_at": timestamp(component.created_at),
        "updated_at": timestamp(component.updated_at),
        "position": component.position,
        # Statuspage sends null, not "", for a component without a description.
        "description": component.description or None,
        "showcase": component.showcase,
        "start_date": _day(component.start_date),
        "group_id": component.group_id,
        "page_id": page.id,
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def group_json(group: GroupView, page: Page) -> Json:
    # Statuspage lists a group as a component with group=true and its children's ids;
    # its status is the worst of its children, as the page shows it.
    return {
        "id": group.public_id,
        "name": group.name,
        "status": group.status,
        "created_at": timestamp(group.created_at),
        "updated_at": timestamp(group.updated_at),
        "position": group.position,
        "description": group.description or None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": page.id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [c.public_id for c in group.components],
    }


def components_json(
    groups: tuple[GroupView, ...] | list[GroupView],
    components: tuple[ComponentView, ...] | list[ComponentView],
    page: Page,
) -> list[Json]:
    """Groups and components in one list, as Statuspage lists them, in page order.

    Each group comes right before its children; a group without components is left out,
    as the page leaves it out.
    """
    top: list[GroupView | ComponentView] = [g for g in groups if g.components]
    top += [c for c in components if c.group_id is None]
    top.sort(key=lambda item: (item.position, item.name))
    result = []
    for item in top:
        if isinstance(item, GroupView):
            result.append(group_json(item, page))
            result += [component_json(c, page) for c in item.components]
        else:
            result.append(component_json(item, page))
    return result


def _affected_json(update: UpdateView) -> list[Json] | None:
    if not update.affected_components:
        return None  # Statuspage sends null, not [], when an update names no component
    return [dict(a) for a in update.affected_components]  # selectors.affected_components


def update_json(update: UpdateView, incident_id: str) -> Json:
    return {
        "id": update.public_id,
        "status": update.status,
        # The text of the sanitised HTML, not the Markdown as typed: clients that insert
        # `body` as HTML (many widgets do) can never be handed a live tag or link.
        "body": plain_text(update.body_html),
        "incident_id": incident_id,
        "created_at": timestamp(update.created_at),
        # Updates are never edited once posted, so they were last updated when created.
        "updated_at": timestamp(update.created_at),
        "display_at": timestamp(update.display_at),
        "affected_components": _affected_json(update),
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def shortlink(public_id: str, kind: str = "incidents") -> str:
    """The page's own URL for the item: Candor has no link shortener."""
    return f"{settings.CANDOR_CANONICAL_URL}/{kind}/{public_id}"


# Statuspage's incident status once a resolved incident's postmortem is published.
POSTMORTEM_STATUS = "postmortem"


def incident_json(incident: IncidentView, page: Page) -> Json:
    postmortem = incident.postmortem
    return {
        "id": incident.public_id,
        "name": incident.name,
        "status": POSTMORTEM_STATUS if postmortem and not incident.is_open else incident.status,
        "created_at": timestamp(incident.created_at),
        "updated_at": timestamp(incident.updated_at),
        "monitoring_at": timestamp(incident.monitoring_at),
        "resolved_at": timestamp(incident.resolved_at),
        "impact": incident.impact,
        "shortlink": shortlink(incident.public_id),
        "started_at": timestamp(incident.started_at),
        "page_id": page.id,
        "incident_updates": [update_json(u, incident.public_id) for u in incident.updates],
        "components": [component_json(c, page) for c in incident.components],
        # Candor's own: when the next update is promised, null once resolved. Statuspage
        # has no such field; clients ignore fields they do not know.
        "next_update_at": timestamp(incident.next_update_due),
        # Statuspage's postmortem fields, null until one is published. The body is the
        # text of the sanitised HTML, as for update bodies.
        "postmortem_body": plain_text(postmortem.body_html) if postmortem else None,
        "postmortem_published_at": timestamp(postmortem.published_at if postmortem else None),
        "postmortem_body_last_updated_at": timestamp(
            postmortem.body_last_updated_at if postmortem else None
        ),
    }


def maintenance_json(maintenance: MaintenanceView, page: Page) -> Json:
    # Statuspage models a maintenance as an incident with impact "maintenance" whose
    # status walks scheduled -> in_progress -> verifying -> completed.
    return {
        "id": maintenance.public_id,
        "name": maintenance.name,
        "status": maintenance.status,
        "created_at": timestamp(maintenance.created_at),
        "updated_at": timestamp(maintenance.updated_at),
        "monitoring_at": None,
        "resolved_at": timestamp(maintenance.completed_at),
        "impact": MAINTENANCE_IMPACT,
        "shortlink": shortlink(maintenance.public_id, "maintenance"),
        "started_at": timestamp(maintenance.started_at or maintenance.scheduled_for),
        "page_id": page.id,
        "incident_updates": [update_json(u, maintenance.public_id) for u in maintenance.updates],
        "components": [component_json(c, page) for c in maintenance.components],
        "scheduled_for": timestamp(maintenance.scheduled_for),
        "scheduled_until": timestamp(maintenance.scheduled_until),
    }


# -- whole documents --------------------------------------------------------------------


def summary_document(summary: StatusSummary, page: Page) -> Json:
    maintenances = [*summary.upcoming_maintenance, *summary.active_maintenance]
    maintenances.sort(key=lambda m: (m.scheduled_for, m.public_id))
    return {
        "page": page_json(page),
        "components": components_json(summary.groups, summary.components, page),
        "incidents": [incident_json(i, page) for i in summary.active_incidents],
        "scheduled_maintenances": [maintenance_json(m, page) for m in maintenances],
        "status": status_json(summary.indicator),
    }


def status_document(summary: StatusSummary, page: Page) -> Json:
    return {"page": page_json(page), "status": status_json(summary.indicator)}


def components_document(
    groups: list[GroupView], components: list[ComponentView], page: Page
) -> Json:
    return {"page": page_json(page), "components": components_json(groups, components, page)}


def incidents_document(incidents: list[IncidentView], page: Page) -> Json:
    return {"page": page_json(page), "incidents": [incident_json(i, page) for i in incidents]}


def maintenances_document(maintenances: list[MaintenanceView], page: Page) -> Json:
    return {
        "page": page_json(page),
        "scheduled_maintenances": [maintenance_json(m, page) for m in maintenances],
    }
