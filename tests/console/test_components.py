from __future__ import annotations

from django.test import Client
from django.urls import reverse

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import (
    AuditAction,
    AuditEvent,
    Component,
    ComponentGroup,
    ComponentStatus,
)
from tests.factories import promised


def _status_url(component: Component) -> str:
    return reverse("console:component_status", args=[component.public_id])


def test_components_page_lists_groups_and_status(console: Client, api: Component) -> None:
    html = console.get(reverse("console:components")).content.decode()
    assert "Core" in html
    assert "API" in html
    assert f'name="c-{api.public_id}-status"' in html


def test_manual_status_is_saved_and_audited(console: Client, api: Component) -> None:
    response = console.post(
        _status_url(api), {f"c-{api.public_id}-status": "degraded_performance"}, follow=True
    )
    assert "shown publicly as Degraded performance" in response.content.decode()
    api.refresh_from_db()
    assert api.manual_status == api.status == ComponentStatus.DEGRADED_PERFORMANCE
    event = AuditEvent.objects.get(action=AuditAction.COMPONENT_STATUS_SET)
    assert event.channel == "console"


def test_manual_status_lies_under_an_open_incident(
    console: Client, api: Component, actor: Actor
) -> None:
    lifecycle.incident_open(
        actor=actor, name="Outage", body=promised("Down."), components={api: "major_outage"}
    )
    console.post(_status_url(api), {f"c-{api.public_id}-status": "degraded_performance"})
    api.refresh_from_db()
    assert api.manual_status == ComponentStatus.DEGRADED_PERFORMANCE
    assert api.status == ComponentStatus.MAJOR_OUTAGE


def test_bad_manual_status_shows_error_and_changes_nothing(console: Client, api: Component) -> None:
    response = console.post(_status_url(api), {f"c-{api.public_id}-status": "on_fire"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    api.refresh_from_db()
    assert api.manual_status == ComponentStatus.OPERATIONAL
    assert not AuditEvent.objects.exists()


def test_create_group_then_component_in_it(console: Client) -> None:
    response = console.post(
        reverse("console:group_new"), {"name": "Edge", "description": "", "position": "1"}
    )
    assert response.status_code == 302
    group = ComponentGroup.objects.get(name="Edge")

    response = console.post(
        reverse("console:component_new"),
        {"name": "CDN", "description": "Static files", "group": group.public_id,
         "position": "0", "showcase": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    component = Component.objects.get(name="CDN")
    assert component.group == group
    assert component.showcase and not component.only_show_if_degraded
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        AuditAction.GROUP_CREATED, AuditAction.COMPONENT_CREATED,
    }  # fmt: skip


def test_edit_component_keeps_its_status(console: Client, api: Component) -> None:
    url = reverse("console:component_edit", args=[api.public_id])
    assert 'value="API"' in console.get(url).content.decode()
    response = console.post(url, {"name": "Public API", "description": "", "position": "3"})
    assert response.status_code == 302
    api.refresh_from_db()
    assert (api.name, api.group, api.position) == ("Public API", None, 3)
    assert AuditEvent.objects.filter(action=AuditAction.COMPONENT_EDITED).count() == 1


def test_invalid_component_form_saves_nothing(console: Client, core: ComponentGroup) -> None:
    response = console.post(
        reverse("console:component_new"),
        {"name": "", "group": "nosuchgroup", "position": "-1"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "group", "position"}
    assert not Component.objects.exists()


def test_blank_group_name_is_refused(console: Client) -> None:
    response = console.post(reverse("console:group_new"), {"name": "  ", "position": "0"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ComponentGroup.objects.exists()
