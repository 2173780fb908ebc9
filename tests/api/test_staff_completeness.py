"""Issue 23: the staff API's subscribers, monitor sources and rules, and publishing."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import roles
from incidents.models import AuditEvent, Component, RoutingRule, Source, Subscriber
from tests.conftest import staff_user
from tests.factories import ComponentFactory

# Also on SQLite without Redis, as `make run` has it.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

STAFF = "/api/staff/"


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def web(db: None) -> Component:
    return ComponentFactory(name="Web")


# -- subscribers ----------------------------------------------------------------------------


def test_import_search_export_and_unsubscribe(staff_api: APIClient, web: Component) -> None:
    imported = staff_api.post(
        STAFF + "subscribers/import/",
        {"subscribers": [
            {"channel": "email", "destination": "Ops@Example.com", "components": [web.public_id]},
            {"channel": "email", "destination": "dev@example.com"},
            {"channel": "carrier-pigeon", "destination": "x"},
            {"channel": "email", "destination": "dev@example.com"},
        ]},
        format="json",
    )  # fmt: skip
    assert imported.status_code == 200, imported.content
    result = imported.json()
    assert (result["created"], result["skipped"]) == (2, 1)
    assert result["errors"][0].startswith("line 4: channel must be one of")
    assert AuditEvent.objects.filter(action="subscribers.imported").count() == 1

    found = staff_api.get(STAFF + "subscribers/?q=OPS@").json()
    assert found["count"] == 1
    [ops] = found["results"]
    assert (ops["destination"], ops["state"], ops["components"]) == (
        "Ops@example.com", "confirmed", [web.public_id]
    )  # fmt: skip
    assert staff_api.get(STAFF + "subscribers/?state=pending").json()["count"] == 0
    assert staff_api.get(STAFF + "subscribers/?state=nope").status_code == 400
    assert staff_api.get(STAFF + "subscribers/?q=" + "x" * 300).status_code == 400

    export = staff_api.get(STAFF + "subscribers/export/")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert sorted(r["destination"] for r in rows) == ["Ops@example.com", "dev@example.com"]

    gone = staff_api.delete(STAFF + f"subscribers/{ops['id']}/")
    assert gone.status_code == 200, gone.content
    assert gone.json()["state"] == "unsubscribed"
    assert AuditEvent.objects.filter(action="subscriber.removed").count() == 1


def test_a_csv_export_imports_back(staff_api: APIClient, web: Component) -> None:
    text = "channel,destination,components\nemail,a@example.com,\nemail,=cmd|x,\n"
    answer = staff_api.post(STAFF + "subscribers/import/", {"csv": text}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["created"] == 1
    assert answer.json()["errors"][0].startswith("line 3")
    both = staff_api.post(
        STAFF + "subscribers/import/", {"csv": text, "subscribers": []}, format="json"
    )
    assert both.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"subscribers": "a@example.com"},
        {"subscribers": [{"channel": "email", "destination": "x" * 600}]},
        {"subscribers": [{"channel": "email", "destination": "a@example.com", "components": "x"}]},
        {"csv": ["a,b"]},
        [],
    ],
)
def test_bad_imports_are_a_400_and_write_nothing(staff_api: APIClient, body: Any) -> None:
    answer = staff_api.post(STAFF + "subscribers/import/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["detail"] == "Invalid input."
    assert not Subscriber.objects.exists()


def test_an_approver_reads_subscribers_but_imports_nothing(db: None) -> None:
    approver = token_client(staff_user("lou2", roles.APPROVER_LEGAL))
    assert approver.get(STAFF + "subscribers/").status_code == 200
    body = {"subscribers": [{"channel": "email", "destination": "a@example.com"}]}
    assert approver.post(STAFF + "subscribers/import/", body, format="json").status_code == 403


# -- monitor sources and rules --------------------------------------------------------------


def test_a_source_is_registered_tuned_routed_rotated_and_deleted(
    staff_api: APIClient, responder: User, web: Component
) -> None:
    made = staff_api.post(
        STAFF + "sources/", {"name": "prom", "format": "alertmanager", "signed": True},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    first = made.json()
    assert first["token"] and first["signing_secret"] and first["signed"] is True
    assert "token" not in staff_api.get(STAFF + "sources/prom/").json()

    tuned = staff_api.patch(
        STAFF + "sources/prom/", {"can_set_status": True, "hold_seconds": 30}, format="json"
    )
    assert tuned.status_code == 200, tuned.content
    assert (tuned.json()["can_set_status"], tuned.json()["hold_seconds"]) == (True, 30)
    assert tuned.json()["can_propose"] is True  # left out: kept

    rule = staff_api.post(
        STAFF + "sources/prom/rules/",
        {"kind": "exact", "label": "job", "pattern": "web", "component": web.public_id},
        format="json",
    )
    assert rule.status_code == 201, rule.content
    assert staff_api.get(STAFF + "sources/prom/rules/").json()[0]["component"] == web.public_id
    bad_regex = staff_api.post(
        STAFF + "sources/prom/rules/",
        {"kind": "regex", "label": "job", "pattern": "(", "component": web.public_id},
        format="json",
    )
    assert bad_regex.status_code == 400 and "pattern" in bad_regex.json()["errors"]

    rotated = staff_api.post(STAFF + "sources/prom/rotate/", {}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["token"] != first["token"]

    removed = staff_api.delete(STAFF + f"sources/prom/rules/{rule.json()['id']}/")
    assert removed.status_code == 204
    assert not RoutingRule.objects.exists()

    # Deleting a source takes an Admin's remove_sources, as in the console.
    assert staff_api.delete(STAFF + "sources/prom/").status_code == 403
    responder.groups.add(*Group.objects.filter(name=roles.ADMIN))
    assert staff_api.delete(STAFF + "sources/prom/").status_code == 204
    assert not Source.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"source.saved", "source.token_rotated", "source.rule_added", "source.deleted"} <= (
        actions
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "has space", "format": "generic"}, "name"),
        ({"name": "x", "format": "nagios"}, "format"),
        ({"name": "x", "format": "generic", "burst": 0}, "burst"),
        ({"name": "x", "format": "generic", "hold_seconds": 2**63}, "hold_seconds"),
        ({"name": "x\x00", "format": "generic"}, "name"),
    ],
)
def test_bad_sources_are_a_400_naming_the_field(
    staff_api: APIClient, body: dict[str, Any], field: str
) -> None:
    answer = staff_api.post(STAFF + "sources/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]
    assert not Source.objects.exists()


def test_unknown_sources_and_rules_are_json_404s(staff_api: APIClient) -> None:
    assert staff_api.get(STAFF + "sources/nope/").status_code == 404
    assert staff_api.delete(STAFF + "sources/nope/rules/1/").status_code == 404
    assert staff_api.delete(STAFF + "sources/nope/rules/99999999999999999999/").status_code in (
        400, 404
    )  # fmt: skip


# -- publishing -----------------------------------------------------------------------------


@pytest.fixture
def mirror(settings: Any, tmp_path: Path) -> Path:
    settings.CANDOR_PUBLISH_TARGETS = ["local"]
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path / "mirror"


def test_publish_state_verify_and_publish_now(staff_api: APIClient, mirror: Path) -> None:
    before = staff_api.get(STAFF + "publish/").json()
    [local] = before["targets"]
    assert (local["name"], local["current"], local["version"]) == ("local", False, None)
    unhealthy = staff_api.get(STAFF + "publish/verify/").json()
    assert unhealthy["healthy"] is False
    assert unhealthy["targets"][0]["problems"] == ["has nothing published"]

    published = staff_api.post(STAFF + "publish/", {}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["failed"] is False
    assert published.json()["targets"][0]["outcome"] == "published"
    assert any(p.name == "summary.json" for p in mirror.rglob("*"))

    assert staff_api.get(STAFF + "publish/").json()["targets"][0]["current"] is True
    assert staff_api.get(STAFF + "publish/verify/").json()["healthy"] is True
    again = staff_api.post(STAFF + "publish/", {"force": True}, format="json")
    assert again.status_code == 200
    assert staff_api.post(STAFF + "publish/", {"force": "maybe"}, format="json").status_code == 400


def test_publishing_takes_posting_rights(db: None, mirror: Path) -> None:
    approver = token_client(staff_user("lou3", roles.APPROVER_LEGAL))
    assert approver.get(STAFF + "publish/").status_code == 200
    assert approver.post(STAFF + "publish/", {}, format="json").status_code == 403
    assert approver.post(STAFF + "publish/verify/", {}, format="json").status_code == 405


def test_a_regex_too_large_to_compile_is_a_400(staff_api: APIClient, web: Component) -> None:
    staff_api.post(STAFF + "sources/", {"name": "prom", "format": "generic"}, format="json")
    answer = staff_api.post(
        STAFF + "sources/prom/rules/",
        {"kind": "regex", "label": "job", "pattern": "a{99999999999}", "component": web.public_id},
        format="json",
    )
    assert answer.status_code == 400, answer.content
    assert "pattern" in answer.json()["errors"]


@pytest.mark.parametrize("query", ["%00", "%1B%5B31m", "x" * 201])
def test_a_search_that_matches_no_address_is_a_400(staff_api: APIClient, query: str) -> None:
    assert staff_api.get(STAFF + "subscribers/?q=" + query).status_code == 400
