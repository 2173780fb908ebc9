from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.lifecycle import posting
from incidents.models import (
    AuditEvent,
    Component,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
)
from tests.factories import ComponentFactory, promised

pytestmark = pytest.mark.django_db


def _status(component: Component) -> str:
    return Component.objects.get(pk=component.pk).status


def test_opening_an_incident_sets_affected_components_and_records_everything(actor: Actor) -> None:
    api = ComponentFactory(name="API")
    web = ComponentFactory(name="Website")

    incident = lifecycle.incident_open(
        actor=actor,
        name="Elevated API errors",
        body=promised("We are investigating **elevated** error rates."),
        impact="major",
        components={api: "partial_outage"},
    )

    assert _status(api) == "partial_outage"
    assert _status(web) == "operational"
    update = incident.updates.get()
    assert update.status == "investigating"
    assert "<strong>elevated</strong>" in update.body_html
    assert update.affected_components == [
        {
            "code": api.public_id,
            "name": "API",
            "old_status": "operational",
            "new_status": "partial_outage",
        }
    ]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.channel) == (
        "incident.opened",
        "rita",
        "console",
    )
    assert event.target_id == incident.public_id
    assert (
        ComponentStatusChange.objects.filter(component=api).latest("at").status == "partial_outage"
    )


def test_worst_status_wins_across_incidents_and_resolving_restores(actor: Actor) -> None:
    api = ComponentFactory()
    first = lifecycle.incident_open(
        actor=actor, name="Slow", body=promised("Slow."), components={api: "degraded_performance"}
    )
    second = lifecycle.incident_open(
        actor=actor, name="Down", body=promised("Down."), components={api: "major_outage"}
    )
    assert _status(api) == "major_outage"

    lifecycle.incident_resolve(actor=actor, incident=second, body="Fixed.")
    assert _status(api) == "degraded_performance"

    lifecycle.incident_resolve(actor=actor, incident=first, body="Fixed too.")
    assert _status(api) == "operational"


def test_resolving_returns_to_the_manual_status_not_to_operational(actor: Actor) -> None:
    api = ComponentFactory()
    lifecycle.component_status_set(actor=actor, component=api, status="degraded_performance")
    incident = lifecycle.incident_open(
        actor=actor, name="Down", body=promised("Down."), components={api: "major_outage"}
    )
    lifecycle.incident_resolve(actor=actor, incident=incident, body="Recovered.")
    assert _status(api) == "degraded_performance"


def test_an_update_can_change_component_impact_and_records_old_and_new(actor: Actor) -> None:
    api = ComponentFactory()
    incident = lifecycle.incident_open(
        actor=actor,
        name="Errors",
        body=promised("Investigating."),
        components={api: "partial_outage"},
    )
    update = lifecycle.update_post(
        actor=actor,
        incident=incident,
        body=promised("Worse."),
        status="identified",
        components={api: "major_outage"},
        impact="critical",
    )
    incident.refresh_from_db()
    assert (incident.status, incident.impact) == ("identified", "critical")
    assert incident.identified_at == update.created_at
    assert update.affected_components[0]["old_status"] == "partial_outage"
    assert update.affected_components[0]["new_status"] == "major_outage"


def test_resolve_sets_resolved_at_and_lists_restored_components(actor: Actor) -> None:
    api = ComponentFactory()
    incident = lifecycle.incident_open(
        actor=actor,
        name="Errors",
        body=promised("Investigating."),
        components={api: "partial_outage"},
    )
    later = timezone.now() + timedelta(minutes=42)
    update = lifecycle.incident_resolve(actor=actor, incident=incident, body="Fixed.", now=later)
    incident.refresh_from_db()
    assert incident.resolved_at == later
    assert update.affected_components[0]["new_status"] == "operational"
    assert AuditEvent.objects.filter(action="incident.resolved").count() == 1


def test_a_resolved_incident_takes_no_more_updates(actor: Actor) -> None:
    incident = lifecycle.incident_open(actor=actor, name="Blip", body=promised("Looking."))
    lifecycle.incident_resolve(actor=actor, incident=incident, body="Gone.")
    with pytest.raises(ValidationError) as caught:
        lifecycle.update_post(
            actor=actor, incident=incident, body=promised("Again?"), status="monitoring"
        )
    assert "status" in caught.value.message_dict
    assert incident.updates.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"body": "   "}, "body"),
        ({"status": "exploded"}, "status"),
        ({"status": "resolved"}, "status"),
        ({"impact": "apocalyptic"}, "impact"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_saved(
    actor: Actor, kwargs: dict[str, str], field: str
) -> None:
    arguments = {"name": "Errors", "body": "Investigating.", **kwargs}
    with pytest.raises(ValidationError) as caught:
        lifecycle.incident_open(actor=actor, **arguments)  # type: ignore[arg-type]
    assert caught.value.message_dict[field]
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_incidents_cannot_claim_maintenance_or_unknown_components(actor: Actor) -> None:
    api = ComponentFactory()
    ghost = Component(pk=987654321, name="Ghost")  # never saved
    for components in ({api: "under_maintenance"}, {ghost: "major_outage"}, {api: "on_fire"}):
        with pytest.raises(ValidationError) as caught:
            lifecycle.incident_open(
                actor=actor, name="X", body=promised("Y"), components=components
            )
        assert "components" in caught.value.message_dict
    assert not Incident.objects.exists()


def test_a_failure_inside_the_transaction_leaves_nothing_half_saved(
    actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = ComponentFactory()

    def explode(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(posting, "audit_record", explode)
    with pytest.raises(RuntimeError):
        lifecycle.incident_open(
            actor=actor, name="X", body=promised("Y"), components={api: "major_outage"}
        )
    assert not Incident.objects.exists()
    assert not IncidentUpdate.objects.exists()
    assert _status(api) == "operational"
    assert ComponentStatusChange.objects.filter(component=api).count() == 1


def test_markdown_is_sanitised_when_written(actor: Actor) -> None:
    body = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> "
        "[click](javascript:alert(3)) <iframe src='/evil-frame'></iframe> **ok**"
    )
    incident = lifecycle.incident_open(actor=actor, name="X", body=promised(body))
    html = incident.updates.get().body_html
    for live in ("<script", "onerror", "javascript:", "<iframe", "<img"):
        assert live not in html
    assert "<strong>ok</strong>" in html


def test_the_database_refuses_a_resolved_incident_without_resolved_at(actor: Actor) -> None:
    incident = lifecycle.incident_open(actor=actor, name="X", body=promised("Y"))
    with pytest.raises(IntegrityError):
        Incident.objects.filter(pk=incident.pk).update(status="resolved")


def test_system_actors_are_labelled() -> None:
    assert Actor.system("beat").label == "system:beat"


def test_the_audit_log_is_append_only_even_in_raw_sql(actor: Actor) -> None:
    lifecycle.incident_open(actor=actor, name="X", body=promised("Y"))
    event = AuditEvent.objects.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(summary="rewritten")
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_auditevent SET summary = 'rewritten'")
