from __future__ import annotations

from django.test import Client
from django.urls import reverse

from incidents import lifecycle
from incidents.audit import Actor
from incidents.console.views.audit import PER_PAGE
from incidents.models import AuditAction, Component
from tests.factories import promised


def test_audit_log_lists_events_newest_first(console: Client, api: Component, actor: Actor) -> None:
    incident = lifecycle.incident_open(actor=actor, name="Slow pages", body=promised("Looking."))
    lifecycle.component_status_set(actor=actor, component=api, status="major_outage")
    lifecycle.incident_resolve(actor=actor, incident=incident, body="Fine.")

    html = console.get(reverse("console:audit")).content.decode()
    opened = html.index("Opened &#x27;Slow pages&#x27;")
    status_set = html.index("Set &#x27;API&#x27; to major_outage")
    resolved = html.index("Resolved &#x27;Slow pages&#x27;")
    assert resolved < status_set < opened
    assert "rita" in html


def test_audit_log_filters_by_action(console: Client, api: Component, actor: Actor) -> None:
    lifecycle.incident_open(actor=actor, name="Slow pages", body=promised("Looking."))
    lifecycle.component_status_set(actor=actor, component=api, status="major_outage")

    response = console.get(reverse("console:audit"), {"action": AuditAction.INCIDENT_OPENED})
    events = list(response.context["page"].object_list)
    assert [e.action for e in events] == [AuditAction.INCIDENT_OPENED]


def test_audit_log_is_paginated(console: Client, api: Component, actor: Actor) -> None:
    for status in ["major_outage", "operational"] * ((PER_PAGE // 2) + 1):
        lifecycle.component_status_set(actor=actor, component=api, status=status)
    first = console.get(reverse("console:audit"))
    assert len(first.context["page"].object_list) == PER_PAGE
    assert "page=2" in first.content.decode()
    second = console.get(reverse("console:audit"), {"page": 2})
    assert len(second.context["page"].object_list) == 2
