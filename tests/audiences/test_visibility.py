"""What each reader sees: the public page unchanged for anonymous readers, public content
plus theirs for a reader of an audience, never another audience's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audiences.tokens import token_create, token_revoke
from incidents.audiences.viewer import Viewer, allowed_from, viewer_from_entry
from incidents.audit import Actor
from incidents.models import AuditEvent
from tests.audiences.conftest import ACME_ONLY, EMPLOYEES_ONLY, World, reader_session
from tests.factories import standing_words_approve

# Also run on SQLite without Redis, as `make run` has it (tests/settings_sqlite.py).
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

PAGES = ("/", "/history", "/history.atom", "/history.rss", "/maintenance.ics", "/uptime.json")
API = ("summary.json", "incidents.json", "scheduled-maintenances.json", "components.json")


def _everything(client: Client, world: World) -> str:
    paths = [*PAGES, *(f"/api/v2/{name}" for name in API)]
    paths += [f"/incidents/{world.checkout.public_id}", "/verify/notices.json"]
    return "\n".join(client.get(path).content.decode() for path in paths)


def test_an_anonymous_reader_sees_the_public_page_and_nothing_else(world: World) -> None:
    seen = _everything(Client(), world)
    assert "Checkout errors" in seen and "Public API" in seen
    for words in EMPLOYEES_ONLY + ACME_ONLY:
        assert words not in seen, words
    answer = Client().get("/")
    assert answer["Cache-Control"].startswith("public")
    assert "data-candor-audience" not in answer.content.decode()


def test_a_reader_of_one_audience_sees_public_content_and_theirs_only(world: World) -> None:
    client = reader_session(Client(), "employees")
    seen = _everything(client, world)
    assert "Checkout errors" in seen and "Public API" in seen
    for words in EMPLOYEES_ONLY:
        assert words in seen, words
    for words in ACME_ONLY:
        assert words not in seen, words
    page = client.get("/")
    assert page["Cache-Control"] == "private, no-store"
    assert "Cookie" in page["Vary"]
    assert "You are reading this page as a member of Employees" in page.content.decode()
    theirs = client.get(f"/incidents/{world.payroll_incident.public_id}")
    assert theirs.status_code == 200 and theirs["Cache-Control"] == "private, no-store"
    # Their pages never enter the public cache: the next anonymous reader is as before.
    assert Client().get(f"/incidents/{world.payroll_incident.public_id}").status_code == 404
    assert "Payroll" not in Client().get("/").content.decode()


def test_acme_reads_its_window_but_not_the_employees_incident(world: World) -> None:
    client = reader_session(Client(), "acme")
    assert client.get(f"/maintenance/{world.acme_window.public_id}").status_code == 200
    assert client.get(f"/incidents/{world.payroll_incident.public_id}").status_code == 404
    assert Client().get(f"/maintenance/{world.acme_window.public_id}").status_code == 404
    calendar = client.get("/maintenance.ics").content.decode()
    assert "ACME dedicated tunnel" in calendar


def test_a_hidden_component_does_not_colour_the_public_indicator(
    world: World, actor: Actor
) -> None:
    standing_words_approve("Payments work again.")
    lifecycle.update_post(
        actor=actor, incident=world.checkout, body="Payments work again.", status="resolved"
    )
    lifecycle.component_status_set(actor=actor, component=world.payroll, status="major_outage")
    public = Client().get("/api/v2/status.json").json()["status"]
    assert public == {"indicator": "none", "description": "All Systems Operational"}
    assert "All Systems Operational" in Client().get("/").content.decode()
    employees = reader_session(Client(), "employees").get("/api/v2/status.json").json()
    assert employees["status"]["indicator"] == "critical"


def test_expired_or_unknown_sessions_read_as_the_public(world: World) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = reader_session(Client(), "employees", expires_at=past)
    assert "Payroll" not in expired.get("/").content.decode()
    unknown = reader_session(Client(), "no-such-audience")
    answer = unknown.get("/")
    assert "Payroll" not in answer.content.decode()
    assert answer["Cache-Control"].startswith("public")


@pytest.mark.parametrize(
    "entry",
    [
        None,
        "employees",
        {"audiences": "employees", "expires_at": "2999-01-01T00:00:00+00:00"},
        {"audiences": ["employees"], "expires_at": "not a time"},
        {"audiences": ["employees"]},
        {"audiences": [1, None, {"x": 1}], "expires_at": "2999-01-01T00:00:00+00:00"},
    ],
)
def test_a_malformed_session_entry_is_the_public(world: World, entry: Any) -> None:
    assert viewer_from_entry(entry, address="127.0.0.1", now=timezone.now()) == Viewer.PUBLIC


def test_an_audience_ip_allowlist_is_enforced_on_the_client_address(world: World) -> None:
    world.employees.ip_allowlist = ["10.0.0.0/8", "2001:db8::/32"]
    world.employees.save()
    entry = {"audiences": ["employees", "acme"], "expires_at": "2999-01-01T00:00:00+00:00"}
    outside = viewer_from_entry(entry, address="192.0.2.1", now=timezone.now())
    assert outside.audience_ids == {world.acme.pk}
    inside = viewer_from_entry(entry, address="10.1.2.3", now=timezone.now())
    assert inside.audience_ids == {world.acme.pk, world.employees.pk}
    client = reader_session(Client(REMOTE_ADDR="192.0.2.1"), "employees")
    assert "Payroll" not in client.get("/").content.decode()
    client = reader_session(Client(REMOTE_ADDR="10.9.9.9"), "employees")
    assert "Payroll runs are delayed" in client.get("/").content.decode()
    # A stored entry that is not a network allows nothing rather than everything.
    assert not allowed_from(["not-a-network"], "10.1.2.3")
    assert not allowed_from("10.0.0.0/8", "10.1.2.3")
    assert allowed_from([], "192.0.2.1")


def test_an_audience_token_reads_that_audience_json_until_revoked(world: World, admin: Any) -> None:
    actor = Actor.staff(admin, channel="console")
    created = token_create(
        audience=world.acme, label="ACME dashboard", actor=actor, now=timezone.now()
    )
    header = {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}
    machine = Client(**header)
    answer = machine.get("/api/v2/scheduled-maintenances.json")
    assert "ACME dedicated tunnel" in answer.content.decode()
    assert answer["Cache-Control"] == "private, no-store"
    assert "Authorization" in answer["Vary"]
    # The token reads the v2 JSON only, not the HTML pages.
    assert "ACME gateway" not in machine.get("/").content.decode()
    assert created.token.token_hash != created.secret and created.secret not in str(
        list(AuditEvent.objects.values_list("data", flat=True))
    )
    assert token_revoke(token=created.token, actor=actor, now=timezone.now())
    after = Client(**header).get("/api/v2/scheduled-maintenances.json")
    assert "ACME dedicated tunnel" not in after.content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"audience.token_created", "audience.token_revoked"} <= actions
