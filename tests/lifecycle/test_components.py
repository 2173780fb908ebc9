from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import AuditEvent, ComponentStatusChange
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db


def test_a_new_component_starts_operational_with_history(actor: Actor) -> None:
    group = GroupFactory(name="Core")
    component = lifecycle.component_save(actor=actor, name="API", group=group, position=2)
    assert component.status == "operational"
    assert component.start_date is not None
    assert ComponentStatusChange.objects.get(component=component).status == "operational"
    assert AuditEvent.objects.get().action == "component.created"


def test_editing_details_keeps_status_and_is_audited(actor: Actor) -> None:
    component = lifecycle.component_save(actor=actor, name="API")
    lifecycle.component_status_set(actor=actor, component=component, status="partial_outage")
    edited = lifecycle.component_save(
        actor=actor, component=component, name="Public API", description="REST and GraphQL"
    )
    assert (edited.name, edited.status) == ("Public API", "partial_outage")
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "component.created",
        "component.status_set",
        "component.edited",
    ]


def test_setting_the_same_status_twice_writes_history_once(actor: Actor) -> None:
    component = lifecycle.component_save(actor=actor, name="API")
    for _ in range(2):
        lifecycle.component_status_set(actor=actor, component=component, status="major_outage")
    assert ComponentStatusChange.objects.filter(component=component).count() == 2  # created + once


def test_an_unknown_status_is_refused(actor: Actor) -> None:
    component = lifecycle.component_save(actor=actor, name="API")
    with pytest.raises(ValidationError) as caught:
        lifecycle.component_status_set(actor=actor, component=component, status="sad")
    assert "status" in caught.value.message_dict
