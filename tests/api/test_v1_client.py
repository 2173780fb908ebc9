"""Issue 23: a maintained Statuspage client library, pointed at Candor by its base URL,
creates, updates and resolves an incident through /api/v1/ on a live server (loopback).

crunch-statuspageio (PyPI) sends what Statuspage's management API takes: `Authorization:
OAuth <key>`, bodies wrapped as {"incident": {...}}, paths ending in `.json`."""

from __future__ import annotations

import json
from typing import Any

import pytest
import statuspageio
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.authtoken.models import Token
from statuspageio.errors import RequestError, ResourceError

from incidents import lifecycle, roles
from incidents.audit import Actor
from incidents.models import AuditEvent, Incident
from tests.factories import promised, said

# Also on SQLite without Redis, as `make run` has it.
pytestmark = pytest.mark.embedded


def v2(path: str) -> dict[str, Any]:
    return json.loads(Client().get("/api/v2/" + path).content)


@pytest.fixture
def client(live_server: Any, responder: User) -> statuspageio.Client:
    key = Token.objects.create(user=responder).key
    # The one setting a Statuspage user changes: the base URL.
    return statuspageio.Client(
        api_key=key, page_id=settings.CANDOR_PAGE_ID, base_url=f"{live_server.url}/api"
    )


def test_the_client_creates_updates_and_resolves_an_incident(
    client: statuspageio.Client, admin: User
) -> None:
    # An Admin adds the component; the responder's client drives the incident.
    api = lifecycle.component_save(actor=Actor.staff(admin, channel="api"), name="API")

    created = client.incidents.create(
        name="Elevated errors",
        status="investigating",
        body=promised("We are investigating errors on the API."),
        impact_override="major",
        # This client sends component_ids (Statuspage's `components` map it leaves out):
        # the component is affected, its status left as it is.
        component_ids=[api.public_id],
    )
    assert created.status == "investigating"
    assert created.impact == "major"
    assert [c.id for c in created.components] == [api.public_id]
    assert said(created.incident_updates[0].body) == "We are investigating errors on the API."
    assert [i["id"] for i in v2("incidents/unresolved.json")["incidents"]] == [created.id]

    updated = client.incidents.update(
        created.id, status="identified", body=promised("We found the cause.")
    )
    assert [u.status for u in updated.incident_updates] == ["identified", "investigating"]

    resolved = client.incidents.update(created.id, status="resolved", body="All good.")
    assert resolved.status == "resolved"
    assert resolved.resolved_at is not None
    assert v2("incidents/unresolved.json")["incidents"] == []
    assert [i.id for i in client.incidents.list_unresolved()] == []
    assert client.incidents.list()[0].id == created.id
    # Each write is the staff member's own, through the API channel, in the audit log.
    actions = AuditEvent.objects.filter(actor_label="api:rita").order_by("at", "pk")
    assert list(actions.values_list("action", flat=True)) == [
        "incident.opened",
        "incident.updated",
        "incident.resolved",
    ]


def test_words_the_policy_refuses_are_a_422_with_the_reason(
    client: statuspageio.Client,
) -> None:
    # No next-update time: the production wording policy refuses it.
    with pytest.raises(ResourceError) as refused:
        client.incidents.create(name="Down", status="investigating", body="We are looking.")
    assert refused.value.http_status == 422
    assert "body" in refused.value.errors["error"]
    assert refused.value.errors["violations"]
    assert not Incident.objects.exists()


def test_a_bad_key_is_a_401(live_server: Any, db: None) -> None:
    client = statuspageio.Client(
        api_key="not-a-key", page_id=settings.CANDOR_PAGE_ID, base_url=f"{live_server.url}/api"
    )
    with pytest.raises(RequestError) as refused:
        client.incidents.list()
    assert refused.value.http_status == 401


def test_components_and_subscribers_through_the_client(
    client: statuspageio.Client, responder: User
) -> None:

    responder.groups.add(*Group.objects.filter(name=roles.ADMIN))
    web = client.components.create(name="Web", description="The site")
    assert web.status == "operational" and web.description == "The site"
    moved = client.components.update(web.id, status="degraded_performance")
    assert moved.status == "degraded_performance"
    assert [c.id for c in client.components.list()] == [web.id]

    sub = client.subscribers.create(email="ops@example.com", skip_confirmation_notification=True)
    assert sub.email == "ops@example.com" and sub.mode == "email"
    assert [s.id for s in client.subscribers.list()] == [sub.id]
    client.subscribers.delete(sub.id)
    assert client.subscribers.list() == []
