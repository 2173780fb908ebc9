"""Proposals in the staff API, as on the console's proposals page: pending ones listed with
their components, proposed statuses and cause; published or dismissed in one request; a
proposal already decided answers 409; a role without post_updates is refused."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import roles
from incidents.models import (
    AuditAction,
    AuditEvent,
    ComponentStatus,
    DependencyKind,
    Incident,
    Proposal,
    ProposalState,
)
from tests.conftest import staff_user
from tests.dependencies.conftest import SetStatus, depend
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db

MAJOR, DEGRADED = ComponentStatus.MAJOR_OUTAGE, ComponentStatus.DEGRADED_PERFORMANCE


def _client(role: str) -> APIClient:
    client = APIClient()
    user = staff_user(f"user-{role.split()[0].lower()}", role)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _impact(set_status: SetStatus) -> Proposal:
    db, api, web = (ComponentFactory(name=n) for n in ("Database", "API", "Website"))
    depend(api, db)
    depend(web, api, DependencyKind.SOFT)
    set_status(db, MAJOR)
    return Proposal.objects.get()


def test_pending_proposals_are_listed_with_components_statuses_and_cause(
    set_status: SetStatus, staff_api: APIClient
) -> None:
    proposal = _impact(set_status)
    answer = staff_api.get("/api/staff/proposals/")
    assert answer.status_code == 200, answer.json()
    page = answer.json()
    assert page["count"] == 1
    [row] = page["results"]
    assert row["id"] == proposal.public_id
    assert (row["kind"], row["state"], row["impact"]) == ("impact", "pending", "critical")
    assert [(c["name"], c["status"]) for c in row["components"]] == [
        ("API", MAJOR),
        ("Website", DEGRADED),
    ]
    assert [(c["name"], c["status"]) for c in row["caused_by"]] == [("Database", MAJOR)]
    assert row["incident"] is None and row["monitor"] is None and row["decided_at"] is None
    assert "API" in row["body"] and "Database" not in row["body"] + row["name"]
    assert staff_api.get(f"/api/staff/proposals/{proposal.public_id}/").json() == row
    # Decided ones on request only.
    assert staff_api.get("/api/staff/proposals/?state=accepted").json()["count"] == 0
    assert staff_api.get("/api/staff/proposals/?state=all&kind=impact").json()["count"] == 1
    assert staff_api.get("/api/staff/proposals/?kind=open").json()["count"] == 0


def test_bad_filters_answer_400_and_an_unknown_id_404(staff_api: APIClient) -> None:
    answer = staff_api.get("/api/staff/proposals/?state=maybe")
    assert answer.status_code == 400 and "state" in answer.json()["errors"]
    answer = staff_api.get("/api/staff/proposals/?kind=%E2%80%AEnepo")
    assert answer.status_code == 400 and "kind" in answer.json()["errors"]
    assert staff_api.get("/api/staff/proposals/nope/").status_code == 404
    assert staff_api.post("/api/staff/proposals/nope/publish/").status_code == 404
    assert staff_api.post("/api/staff/proposals/a\x00b/dismiss/").status_code == 404


@pytest.mark.wording  # the production policy: the published words promise the next update
def test_publishing_opens_the_incident_with_every_proposed_status(
    set_status: SetStatus, staff_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    proposal = _impact(set_status)
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff_api.post(f"/api/staff/proposals/{proposal.public_id}/publish/")
    assert answer.status_code == 200, answer.json()
    row = answer.json()
    incident = Incident.objects.get()
    assert row["state"] == "accepted" and row["incident"] == incident.public_id
    assert row["decided_by"] == "api:rita"
    assert {a.component.name: a.status for a in incident.affected.all()} == {
        "API": MAJOR,
        "Website": DEGRADED,
    }
    detail = staff_api.get(f"/api/staff/incidents/{incident.public_id}/").json()
    assert [c["name"] for c in detail["caused_by"]] == ["Database"]
    assert AuditEvent.objects.filter(action=AuditAction.INCIDENT_OPENED).count() == 1
    # A second click (or a retry without an Idempotency-Key) finds it decided.
    again = staff_api.post(f"/api/staff/proposals/{proposal.public_id}/publish/")
    assert again.status_code == 409
    assert again.json()["errors"] == {"state": ["This proposal is Published."]}
    assert Incident.objects.count() == 1


def test_dismissing_publishes_nothing_and_is_audited(
    set_status: SetStatus, staff_api: APIClient
) -> None:
    proposal = _impact(set_status)
    answer = staff_api.post(f"/api/staff/proposals/{proposal.public_id}/dismiss/")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["state"] == "dismissed"
    assert not Incident.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.PROPOSAL_DISMISSED)
    assert event.channel == "api"
    assert staff_api.get("/api/staff/proposals/").json()["count"] == 0
    assert staff_api.post(f"/api/staff/proposals/{proposal.public_id}/dismiss/").status_code == 409


def test_reading_takes_any_staff_deciding_takes_post_updates(set_status: SetStatus) -> None:
    proposal = _impact(set_status)
    approver = _client(roles.APPROVER_LEGAL)
    assert approver.get("/api/staff/proposals/").status_code == 200
    for verb in ("publish", "dismiss"):
        assert (
            approver.post(f"/api/staff/proposals/{proposal.public_id}/{verb}/").status_code == 403
        )
    assert approver.delete(f"/api/staff/proposals/{proposal.public_id}/").status_code in (403, 405)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PENDING
    assert APIClient().get("/api/staff/proposals/").status_code == 401
