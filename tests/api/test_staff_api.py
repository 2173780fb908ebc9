"""The staff REST API: the console's actions over HTTP, through the same lifecycle."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import AuditEvent, Component, Incident, Maintenance
from tests.factories import ComponentFactory, GroupFactory, promised, said

pytestmark = pytest.mark.django_db

STAFF = "/api/staff/"


def v2(path: str) -> dict[str, Any]:
    return json.loads(Client().get("/api/v2/" + path).content)


def post(api: APIClient, path: str, data: dict[str, Any]) -> Any:
    return api.post(STAFF + path, data, format="json")


def assert_field_errors(response: Any, *fields: str) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert set(fields) <= set(body["errors"]), body
    assert all(isinstance(r, str) for reasons in body["errors"].values() for r in reasons)
    return body["errors"]


def api_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("at", "pk"))


@pytest.fixture
def api_component(db: None) -> Component:
    return ComponentFactory(name="API")


# -- incidents -----------------------------------------------------------------------------


def test_opening_an_incident_shows_it_on_the_public_api(
    staff_api: APIClient, api_component: Component
) -> None:
    response = post(staff_api, "incidents/", {
        "name": "Elevated errors", "body": promised("We are **investigating**."), "impact": "major",
        "components": [{"id": api_component.public_id, "status": "partial_outage"}],
    })  # fmt: skip

    assert response.status_code == 201, response.content
    incident = response.json()
    assert incident["status"] == "investigating"
    assert incident["components"] == [
        {"id": api_component.public_id, "name": "API", "status": "partial_outage"}
    ]
    assert said(incident["updates"][0]["body"]) == "We are **investigating**."
    public = v2("incidents/unresolved.json")["incidents"]
    assert [(i["id"], i["impact"]) for i in public] == [(incident["id"], "major")]
    assert public[0]["components"][0]["status"] == "partial_outage"


def test_posting_updates_and_resolving_move_the_incident_along(
    staff_api: APIClient, api_component: Component, django_capture_on_commit_callbacks: Any
) -> None:
    def write(path: str, data: dict[str, Any]) -> Any:
        # Run the after-commit public refresh, as a real request's commit would.
        with django_capture_on_commit_callbacks(execute=True):
            return post(staff_api, path, data)

    incident_id = write("incidents/", {"name": "Slow", "body": promised("Slow.")}).json()["id"]
    update = write(f"incidents/{incident_id}/updates/", {
        "body": promised("Found it."), "status": "identified", "impact": "critical",
        "components": [{"id": api_component.public_id, "status": "major_outage"}],
    })  # fmt: skip
    assert update.status_code == 201, update.content
    assert [u["status"] for u in update.json()["updates"]] == ["identified", "investigating"]
    assert v2("components.json")["components"][0]["status"] == "major_outage"
    assert v2("status.json")["status"]["indicator"] == "critical"

    resolved = write(f"incidents/{incident_id}/resolve/", {"body": "All good."})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"
    assert v2("incidents/unresolved.json")["incidents"] == []
    assert v2("components.json")["components"][0]["status"] == "operational"
    assert v2("incidents.json")["incidents"][0]["resolved_at"] is not None


def test_listing_and_reading_incidents(staff_api: APIClient, actor: Actor) -> None:
    for n in range(51):
        lifecycle.incident_open(actor=actor, name=f"Incident {n}", body=promised("x"))
    listing = staff_api.get(STAFF + "incidents/").json()
    assert listing["count"] == 51
    assert len(listing["results"]) == 50
    assert listing["results"][0]["name"] == "Incident 50"  # newest first
    assert listing["next"]
    one = listing["results"][0]["id"]
    assert staff_api.get(STAFF + f"incidents/{one}/").json()["name"] == "Incident 50"


def test_unknown_incident_is_a_json_404(staff_api: APIClient) -> None:
    for response in (
        staff_api.get(STAFF + "incidents/nosuchthing0/"),
        post(
            staff_api,
            "incidents/nosuchthing0/updates/",
            {"body": promised("x"), "status": "identified"},
        ),
        post(staff_api, "incidents/nosuchthing0/resolve/", {"body": "x"}),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "No incident with id 'nosuchthing0'."}


# -- components, groups, maintenance ---------------------------------------------------------


def test_components_are_created_edited_and_set_by_hand(staff_api: APIClient) -> None:
    group = post(staff_api, "groups/", {"name": "Core", "position": 1}).json()
    created = post(staff_api, "components/", {
        "name": "API", "description": "REST", "group": group["id"], "position": 2,
        "showcase": False, "only_show_if_degraded": True,
    })  # fmt: skip
    assert created.status_code == 201, created.content
    component = created.json()
    assert (component["group"], component["showcase"], component["start_date"]) == (
        group["id"],
        False,
        timezone.now().date().isoformat(),
    )

    edited = staff_api.patch(
        STAFF + f"components/{component['id']}/", {"name": "Public API"}, format="json"
    )
    assert edited.status_code == 200, edited.content
    # Only the name changed; everything left out kept its value.
    assert {k: edited.json()[k] for k in ("name", "description", "group", "position")} == {
        "name": "Public API", "description": "REST", "group": group["id"], "position": 2,
    }  # fmt: skip

    status = post(staff_api, f"components/{component['id']}/status/", {"status": "major_outage"})
    assert status.status_code == 200, status.content
    assert status.json()["status"] == status.json()["manual_status"] == "major_outage"
    assert v2("status.json")["status"]["indicator"] == "critical"
    public = {c["name"]: c for c in v2("components.json")["components"]}
    assert public["Core"]["components"] == [component["id"]]
    assert staff_api.get(STAFF + "groups/").json()[0]["components"] == [component["id"]]
    assert [c["name"] for c in staff_api.get(STAFF + "components/").json()] == ["Public API"]


def test_maintenance_is_scheduled_started_and_shown(
    staff_api: APIClient, api_component: Component, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    response = post(staff_api, "maintenances/", {
        "name": "DB upgrade", "body": "Upgrading Postgres.",
        "scheduled_for": (now + timedelta(hours=1)).isoformat(),
        "scheduled_until": (now + timedelta(hours=2)).isoformat(),
        "components": [api_component.public_id], "auto_start": False,
    })  # fmt: skip
    assert response.status_code == 201, response.content
    window = response.json()
    assert (window["status"], window["auto_start"], window["auto_complete"]) == (
        "scheduled", False, True,
    )  # fmt: skip
    upcoming = v2("scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert [m["id"] for m in upcoming] == [window["id"]]

    with django_capture_on_commit_callbacks(execute=True):
        started = post(staff_api, f"maintenances/{window['id']}/updates/", {
            "body": "Starting early.", "status": "in_progress",
        })  # fmt: skip
    assert started.status_code == 201, started.content
    assert started.json()["status"] == "in_progress"
    active = v2("scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [m["id"] for m in active] == [window["id"]]
    assert v2("components.json")["components"][0]["status"] == "under_maintenance"
    assert staff_api.get(STAFF + "maintenances/").json()["results"][0]["id"] == window["id"]


# -- bad input -----------------------------------------------------------------------------


def test_missing_fields_and_bad_enums_are_reported_per_field(staff_api: APIClient) -> None:
    errors = assert_field_errors(
        post(staff_api, "incidents/",
             {"body": promised("x"), "status": "panicking", "impact": "huge"}),
        "name", "status", "impact",
    )  # fmt: skip
    assert errors["name"] == ["This field is required."]
    assert "panicking" in errors["status"][0]


def test_unknown_component_ids_are_named(staff_api: APIClient, api_component: Component) -> None:
    errors = assert_field_errors(
        post(staff_api, "incidents/", {
            "name": "x", "body": promised("x"), "components": [
                {"id": api_component.public_id, "status": "major_outage"},
                {"id": "ghost1", "status": "major_outage"},
                {"id": "ghost2", "status": "major_outage"},
            ],
        }),
        "components",
    )  # fmt: skip
    assert errors["components"] == ["Unknown component id(s): ghost1, ghost2."]


def test_a_bad_component_id_leaves_nothing_half_saved(
    staff_api: APIClient, api_component: Component
) -> None:
    response = post(staff_api, "incidents/", {
        "name": "x", "body": promised("x"),
        "components": [{"id": api_component.public_id, "status": "major_outage"},
                       {"id": "ghost", "status": "major_outage"}],
    })  # fmt: skip
    assert response.status_code == 400
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()
    assert Component.objects.get().status == "operational"


def test_nested_errors_say_which_item_is_wrong(
    staff_api: APIClient, api_component: Component
) -> None:
    errors = assert_field_errors(
        post(staff_api, "incidents/", {"name": "x", "body": promised("x"), "components": [
            {"id": api_component.public_id, "status": "under_maintenance"},
        ]}),
        "components",
    )  # fmt: skip
    assert errors["components"][0].startswith("[0] status: ")


def test_a_window_ending_before_it_starts_is_refused(staff_api: APIClient) -> None:
    now = timezone.now()
    response = post(staff_api, "maintenances/", {
        "name": "Backwards", "body": "x",
        "scheduled_for": (now + timedelta(hours=2)).isoformat(),
        "scheduled_until": (now + timedelta(hours=1)).isoformat(),
    })  # fmt: skip
    assert_field_errors(response, "scheduled_until")
    assert not Maintenance.objects.exists()


def test_lifecycle_refusals_take_the_same_shape(staff_api: APIClient, actor: Actor) -> None:
    incident = lifecycle.incident_open(actor=actor, name="Done", body=promised("x"))
    lifecycle.incident_resolve(actor=actor, incident=incident, body="Fixed.")
    errors = assert_field_errors(
        post(staff_api, f"incidents/{incident.public_id}/updates/",
             {"body": promised("Again?"), "status": "investigating"}),
        "status",
    )  # fmt: skip
    assert errors["status"] == ["This incident is resolved; open a new one."]
    too_long = post(staff_api, "incidents/", {"name": "Long", "body": "x" * 20_001})
    assert "At most 20000 characters" in assert_field_errors(too_long, "body")["body"][0]


def test_a_maintenance_cannot_move_backwards(staff_api: APIClient, actor: Actor) -> None:
    now = timezone.now()
    window = lifecycle.maintenance_schedule(
        actor=actor, name="W", body="x",
        scheduled_for=now + timedelta(hours=1), scheduled_until=now + timedelta(hours=2),
    )  # fmt: skip
    lifecycle.maintenance_update_post(actor=actor, maintenance=window, body="x", status="completed")
    response = post(
        staff_api, f"maintenances/{window.public_id}/updates/", {"body": "x", "status": "verifying"}
    )
    assert_field_errors(response, "status")


def test_malformed_json_is_a_400_with_a_reason(staff_api: APIClient) -> None:
    response = staff_api.post(STAFF + "incidents/", '{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_a_json_array_instead_of_an_object_is_a_400(staff_api: APIClient) -> None:
    response = staff_api.post(STAFF + "incidents/", "[]", content_type="application/json")
    assert_field_errors(response, "non_field_errors")


def test_wrong_content_type_is_a_415(staff_api: APIClient) -> None:
    response = staff_api.post(STAFF + "incidents/", "name=x&body=y", content_type="text/plain")
    assert response.status_code == 415
    assert "text/plain" in response.json()["detail"]


def test_an_oversized_body_is_refused_before_parsing(staff_api: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = json.dumps({"name": "x", "body": "y" * 2000})
    response = staff_api.post(STAFF + "incidents/", big, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body larger than 1024 bytes."}
    assert not Incident.objects.exists()


# -- who may call it -------------------------------------------------------------------------


def test_no_credentials_is_a_json_401(db: None) -> None:
    response = APIClient().get(STAFF + "incidents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_a_bad_token_is_a_json_401(db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(STAFF + "incidents/").status_code == 401


def test_a_user_who_is_not_staff_is_refused(db: None) -> None:
    user = User.objects.create_user("sam", "sam@example.com", "pw-pw-pw-pw")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = post(client, "incidents/", {"name": "x", "body": promised("x")})
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Incident.objects.exists()


# -- audit -----------------------------------------------------------------------------------


def test_every_write_is_audited_as_coming_from_the_api(
    staff_api: APIClient, api_component: Component
) -> None:
    group = GroupFactory()
    incident_id = post(staff_api, "incidents/", {"name": "x", "body": promised("x")}).json()["id"]
    post(
        staff_api,
        f"incidents/{incident_id}/updates/",
        {"body": promised("y"), "status": "monitoring"},
    )
    post(staff_api, f"incidents/{incident_id}/resolve/", {"body": "z"})
    post(staff_api, "components/", {"name": "Web", "group": group.public_id})
    staff_api.patch(
        STAFF + f"components/{api_component.public_id}/", {"position": 3}, format="json"
    )
    post(staff_api, f"components/{api_component.public_id}/status/", {"status": "partial_outage"})
    post(staff_api, "groups/", {"name": "Edge"})
    now = timezone.now()
    window_id = post(staff_api, "maintenances/", {
        "name": "W", "body": "x", "scheduled_for": (now + timedelta(hours=1)).isoformat(),
        "scheduled_until": (now + timedelta(hours=2)).isoformat(),
    }).json()["id"]  # fmt: skip
    post(staff_api, f"maintenances/{window_id}/updates/", {"body": "x", "status": "in_progress"})

    events = api_events()
    assert [e.action for e in events] == [
        "incident.opened", "incident.updated", "incident.resolved", "component.created",
        "component.edited", "component.status_set", "group.created",
        "maintenance.scheduled", "maintenance.started",
    ]  # fmt: skip
    assert {(e.channel, e.actor_label, e.ip) for e in events} == {("api", "api:rita", "127.0.0.1")}

    log = staff_api.get(STAFF + "audit/").json()
    assert log["count"] == len(events)
    assert log["results"][0]["action"] == "maintenance.started"  # newest first
    assert log["results"][0]["actor"] == "api:rita"
    about = staff_api.get(STAFF + "audit/", {"target": incident_id}).json()["results"]
    assert {e["target_id"] for e in about} == {incident_id}


# -- schema ------------------------------------------------------------------------------------


def test_the_schema_generates_without_warnings(tmp_path: Path) -> None:
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert "/api/staff/incidents/" in (tmp_path / "schema.yaml").read_text()


def test_the_schema_is_served_to_staff(staff_api: APIClient) -> None:
    response = staff_api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/staff/maintenances/" in response.content
