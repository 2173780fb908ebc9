"""The public promise in the v2 API and pages, and the staff API's cadence endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import AuditEvent, CadencePolicy, Incident
from tests.factories import promised

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STAFF = "/api/staff/"


@pytest.fixture
def at_t0() -> Iterator[None]:
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def incident(actor: Actor, at_t0: None) -> Incident:
    return lifecycle.incident_open(actor=actor, name="Search is slow", body=promised("Looking."))


@pytest.mark.parametrize("path", ["summary.json", "incidents.json", "incidents/unresolved.json"])
def test_the_v2_api_promises_the_next_update_of_each_open_incident(
    client: Client, incident: Incident, path: str
) -> None:
    [listed] = client.get(f"/api/v2/{path}").json()["incidents"]
    assert listed["next_update_at"] == "2026-11-23T12:15:00.000Z"


def test_a_resolved_incident_promises_nothing(
    client: Client, actor: Actor, incident: Incident
) -> None:
    lifecycle.incident_resolve(actor=actor, incident=incident, body="Fixed.")
    [listed] = client.get("/api/v2/incidents.json").json()["incidents"]
    assert listed["next_update_at"] is None
    page = client.get(f"/incidents/{incident.public_id}").content.decode()
    opening = incident.updates.order_by("created_at").first()
    assert opening is not None
    # The opening words promised a time of their own; the page itself promises nothing more.
    assert "Next update by" not in page.replace(opening.body, "")


def test_the_status_page_and_incident_page_say_when_the_next_update_comes(
    client: Client, incident: Incident
) -> None:
    promise = 'Next update by <time datetime="2026-11-23T12:15:00Z">12:15 UTC</time>'
    assert promise in client.get("/").content.decode()
    assert promise in client.get(f"/incidents/{incident.public_id}").content.decode()


def test_an_update_moves_the_public_promise(
    client: Client, actor: Actor, incident: Incident
) -> None:
    with time_machine.travel(datetime(2026, 11, 23, 12, 10, tzinfo=UTC), tick=False):
        lifecycle.update_post(
            actor=actor, incident=incident, body=promised("Found it."), status="identified"
        )
        assert "13:10 UTC" in client.get("/").content.decode()


# -- staff API -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (0, "Must be at least 1 minute (got 0)."),
        (-15, "Must be at least 1 minute (got -15)."),
        (100_000, "Must be at most 1440 minutes, one day (got 100000)."),
    ],
)
def test_a_schedule_with_a_bad_interval_is_refused_with_a_clear_reason(
    staff_api: APIClient, value: int, reason: str
) -> None:
    response = staff_api.put(
        STAFF + "cadence/critical/",
        {"first_minutes": value, "then_minutes": 30, "every_minutes": 60},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"first_minutes": [reason]}
    assert not CadencePolicy.objects.exists()


def test_a_schedule_that_is_not_a_number_is_refused(staff_api: APIClient) -> None:
    response = staff_api.put(
        STAFF + "cadence/major/",
        {"first_minutes": "soon", "then_minutes": 30, "every_minutes": 60},
        format="json",
    )
    assert response.status_code == 400
    assert "first_minutes" in response.json()["errors"]


def test_an_impact_schedule_is_set_listed_and_audited(staff_api: APIClient, db: None) -> None:
    response = staff_api.put(
        STAFF + "cadence/critical/",
        {"first_minutes": 10, "then_minutes": 30, "every_minutes": 60},
        format="json",
    )
    assert response.status_code == 200
    policies = {p["impact"]: p for p in staff_api.get(STAFF + "cadence/").json()}
    assert policies["critical"] == {
        "impact": "critical", "first_minutes": 10, "then_minutes": 30, "every_minutes": 60,
        "default": False,
    }  # fmt: skip
    assert policies["minor"]["default"] is True
    assert (policies["minor"]["first_minutes"], policies["minor"]["every_minutes"]) == (15, 120)
    event = AuditEvent.objects.get(action="cadence.policy_set")
    assert event.channel == "api"
    # A new critical incident follows it.
    incident = lifecycle.incident_open(
        actor=Actor.system("test"), name="Down", body=promised("Down."), impact="critical"
    )
    assert (incident.next_update_due - incident.started_at).total_seconds() == 600


def test_an_incident_override_moves_its_promise(staff_api: APIClient, incident: Incident) -> None:
    path = STAFF + f"incidents/{incident.public_id}/cadence/"
    bad = staff_api.put(
        path, {"first_minutes": 5, "then_minutes": -1, "every_minutes": 10}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"then_minutes": ["Must be at least 1 minute (got -1)."]}
    good = staff_api.put(
        path, {"first_minutes": 5, "then_minutes": 10, "every_minutes": 10}, format="json"
    )
    assert good.status_code == 200
    body = good.json()
    assert body["next_update_due"] == "2026-11-23T12:05:00Z"
    assert body["cadence"] == {"first_minutes": 5, "then_minutes": 10, "every_minutes": 10}
    cleared = staff_api.delete(path).json()
    assert cleared["cadence"] is None
    assert cleared["next_update_due"] == "2026-11-23T12:15:00Z"
    assert AuditEvent.objects.filter(action="cadence.override_set").count() == 2


def test_owners_are_set_from_contacts(staff_api: APIClient, incident: Incident) -> None:
    created = staff_api.post(
        STAFF + "contacts/", {"name": "Olivia", "phone": "+14155550101"}, format="json"
    )
    assert created.status_code == 201
    contact = created.json()["id"]
    path = STAFF + f"incidents/{incident.public_id}/owners/"
    unknown = staff_api.put(path, {"owners": ["nosuchcontact"]}, format="json")
    assert unknown.status_code == 400
    assert staff_api.put(path, {"owners": [contact]}, format="json").json()["owners"] == [contact]


def test_a_contact_must_be_reachable(staff_api: APIClient, db: None) -> None:
    response = staff_api.post(
        STAFF + "contacts/", {"name": "Nobody", "phone": "555-1234"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["phone"] == [
        "Use the international format, e.g. +14155550100."
    ]
