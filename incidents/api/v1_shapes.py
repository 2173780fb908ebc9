"""Statuspage v1 (management API) shapes: model rows to the JSON its clients read.

Field names, types and nulls follow Statuspage's management API (its published OpenAPI
document, as the generated clients on PyPI carry it), so scripts and client
libraries written for it read Candor's answers unchanged; fields Candor has no notion of
(Twitter, postmortems, page access users) are sent with the value Statuspage gives a page
that does not use them. Times use the v2 API's format (statuspage.timestamp).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from incidents.api.statuspage import TIME_ZONE, shortlink, timestamp
from incidents.branding.brand import page_name
from incidents.models import (
    Component,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    NotifyScope,
    Subscriber,
)
from incidents.rendering import plain_text

Json = dict[str, Any]


def page_json(updated_at: Any) -> Json:
    return {
        "id": settings.CANDOR_PAGE_ID,
        "created_at": None,
        "updated_at": timestamp(updated_at),
        "name": page_name(),
        "page_description": None,
        "headline": None,
        "branding": "premium",
        "subdomain": None,
        "domain": None,
        "url": settings.CANDOR_CANONICAL_URL,
        "support_url": None,
        "hidden_from_search": False,
        "allow_page_subscribers": True,
        "allow_incident_subscribers": True,
        "allow_email_subscribers": True,
        "allow_sms_subscribers": True,
        "allow_rss_atom_feeds": True,
        "allow_webhook_subscribers": True,
        "notifications_from_email": None,
        "notifications_email_footer": None,
        "activity_score": 0,
        "twitter_username": None,
        "viewers_must_be_team_members": False,
        "ip_restrictions": None,
        "city": None,
        "state": None,
        "country": None,
        "time_zone": TIME_ZONE,
    }


def component_json(component: Component) -> Json:
    return {
        "id": component.public_id,
        "page_id": settings.CANDOR_PAGE_ID,
        # Statuspage's group_id is the group's id; Candor's groups have public ids too.
        "group_id": component.group.public_id if component.group else None,
        "created_at": timestamp(component.created_at),
        "updated_at": timestamp(component.updated_at),
        "group": False,
        "name": component.name,
        "description": component.description or None,
        "position": component.position,
        "status": component.status,
        "showcase": component.showcase,
        "only_show_if_degraded": component.only_show_if_degraded,
        "automation_email": None,
        "start_date": component.start_date.isoformat() if component.start_date else None,
    }


def _update_json(update: IncidentUpdate, incident_id: str) -> Json:
    return {
        "id": update.public_id,
        "incident_id": incident_id,
        "status": update.status,
        # The sanitised HTML's text, as the v2 API sends it: never a live tag.
        "body": plain_text(update.body_html),
        "created_at": timestamp(update.created_at),
        "updated_at": timestamp(update.created_at),
        "display_at": timestamp(update.display_at),
        "affected_components": [dict(a) for a in update.affected_components] or None,
        "deliver_notifications": update.notify != NotifyScope.NONE,
        "custom_tweet": None,
        "tweet_id": None,
        "twitter_updated_at": None,
        "wants_twitter_update": False,
    }


def incident_json(incident: Incident) -> Json:
    """`incident` with `affected` (component selected) and `updates` prefetched."""
    affected: list[IncidentComponent] = list(incident.affected.all())
    return {
        "id": incident.public_id,
        "page_id": settings.CANDOR_PAGE_ID,
        "name": incident.name,
        "status": incident.status,
        "impact": incident.impact,
        "impact_override": None,
        "created_at": timestamp(incident.created_at),
        "updated_at": timestamp(incident.updated_at),
        "started_at": timestamp(incident.started_at),
        "monitoring_at": timestamp(incident.monitoring_at),
        "resolved_at": timestamp(incident.resolved_at),
        "shortlink": shortlink(incident.public_id),
        "incident_updates": [_update_json(u, incident.public_id) for u in incident.updates.all()],
        "components": [component_json(a.component) for a in affected],
        "metadata": {},
        "postmortem_body": None,
        "postmortem_body_last_updated_at": None,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": None,
        "scheduled_for": None,
        "scheduled_until": None,
        "scheduled_remind_prior": False,
        "scheduled_reminded_at": None,
        "scheduled_auto_in_progress": False,
        "scheduled_auto_completed": False,
        "auto_transition_deliver_notifications_at_end": False,
        "auto_transition_deliver_notifications_at_start": False,
        "auto_transition_to_maintenance_state": False,
        "auto_transition_to_operational_state": False,
        "reminder_intervals": None,
        # Candor's own, as in the v2 API: when the next update is promised.
        "next_update_at": timestamp(incident.next_update_due),
    }


def subscriber_json(subscriber: Subscriber) -> Json:
    """`subscriber` with `components` prefetched (empty for all components)."""
    channel, destination = subscriber.channel, subscriber.destination
    return {
        "id": subscriber.public_id,
        "mode": channel,
        "email": destination if channel == "email" else None,
        "endpoint": destination if channel == "webhook" else None,
        "phone_number": destination if channel == "sms" else None,
        "phone_country": None,
        "display_phone_number": destination if channel == "sms" else None,
        "obfuscated_channel_name": None,
        "workspace_name": None,
        "skip_confirmation_notification": False,
        "quarantined_at": None,
        "purge_at": None,
        "components": [c.public_id for c in subscriber.components.all()],
        "page_access_user_id": None,
        "created_at": timestamp(subscriber.created_at),
        # Candor's own: pending, confirmed, unsubscribed or stopped.
        "state": subscriber.state,
    }
