"""The staff API's dependencies: CRUD, reasons in JSON, caused_by on incidents."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import ComponentDependency, ComponentStatus, Incident
from tests.conftest import staff_user
from tests.dependencies.conftest import SetStatus, depend
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_dependencies_are_added_listed_edited_and_removed(staff_api: APIClient) -> None:
    db, api = ComponentFactory(name="Database"), ComponentFactory(name="API")
    answer = staff_api.post(
        "/api/staff/dependencies/",
        {"upstream": db.public_id, "downstream": api.public_id, "kind": "hard"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    edge = answer.json()
    assert edge["upstream_name"] == "Database" and edge["downstream"] == api.public_id
    assert edge["kind"] == "hard" and edge["auto_apply"] is False
    assert staff_api.get("/api/staff/dependencies/").json() == [edge]
    answer = staff_api.patch(
        f"/api/staff/dependencies/{edge['id']}/", {"kind": "soft"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["kind"] == "soft"
    assert staff_api.delete(f"/api/staff/dependencies/{edge['id']}/").status_code == 204
    assert not ComponentDependency.objects.exists()
    assert staff_api.get(f"/api/staff/dependencies/{edge['id']}/").status_code == 404


def test_a_cycle_answers_400_naming_it(staff_api: APIClient) -> None:
    a, b, c = (ComponentFactory(name=n) for n in ("A", "B", "C"))
    depend(b, a)
    depend(c, b)
    answer = staff_api.post(
        "/api/staff/dependencies/",
        {"upstream": c.public_id, "downstream": a.public_id, "kind": "hard"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "upstream": ["This would make a cycle: A depends on C depends on B depends on A."]
    }


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "sometimes"}, "kind"),
        ({"kind": "hard\\u0000"}, "kind"),
        ({"upstream": "x" * 1_000_000}, "upstream"),
        ({"upstream": "\\ud800"}, "upstream"),  # a lone surrogate, escaped as JSON sends it
    ],
)
def test_hostile_input_is_refused_with_a_reason(
    staff_api: APIClient, body: dict[str, str], field: str
) -> None:
    db, api = ComponentFactory(), ComponentFactory()
    sent = {"upstream": db.public_id, "downstream": api.public_id, "kind": "hard", **body}
    raw = "{" + ", ".join(f'"{k}": "{v}"' for k, v in sent.items()) + "}"
    answer = staff_api.post("/api/staff/dependencies/", raw, content_type="application/json")
    assert answer.status_code in (400, 413)
    if answer.status_code == 400:
        assert field in answer.json()["errors"]
    assert not ComponentDependency.objects.exists()


def test_auto_apply_takes_an_admin(staff_api: APIClient, admin: Any) -> None:
    db, api = ComponentFactory(), ComponentFactory()
    sent = {
        "upstream": db.public_id,
        "downstream": api.public_id,
        "kind": "hard",
        "auto_apply": True,
    }
    assert staff_api.post("/api/staff/dependencies/", sent, format="json").status_code == 403
    answer = _client(admin).post("/api/staff/dependencies/", sent, format="json")
    assert answer.status_code == 201 and answer.json()["auto_apply"] is True


def test_a_viewer_reads_but_cannot_write() -> None:
    viewer = _client(staff_user("vic"))
    db, api = ComponentFactory(), ComponentFactory()
    assert viewer.get("/api/staff/dependencies/").status_code == 200
    sent = {"upstream": db.public_id, "downstream": api.public_id, "kind": "hard"}
    assert viewer.post("/api/staff/dependencies/", sent, format="json").status_code == 403


def test_an_incident_says_what_caused_it(staff_api: APIClient, set_status: SetStatus) -> None:
    db, api = ComponentFactory(name="Primary DB"), ComponentFactory(name="API")
    depend(api, db, auto_apply=True)
    set_status(db, ComponentStatus.MAJOR_OUTAGE)
    incident = Incident.objects.get()
    body = staff_api.get(f"/api/staff/incidents/{incident.public_id}/").json()
    assert [(c["component"], c["name"], c["status"]) for c in body["caused_by"]] == [
        (db.public_id, "Primary DB", "major_outage")
    ]
    # The public v2 API carries no cause.
    public = APIClient().get("/api/v2/incidents.json").content.decode()
    assert "Primary DB" not in public and "caused_by" not in public
