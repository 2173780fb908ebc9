"""/api/v1/, the Statuspage-shaped management API: its shapes, codes and refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import lifecycle, roles
from incidents.audit import Actor
from incidents.models import Component, Incident, Subscriber, SubscriberState
from tests.conftest import staff_user
from tests.factories import ComponentFactory, promised, said

# Also on SQLite without Redis, as `make run` has it.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

PAGE = f"/api/v1/pages/{settings.CANDOR_PAGE_ID}/"


def oauth(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"OAuth {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def v1(responder: User) -> APIClient:
    return oauth(responder)


@pytest.fixture
def web(db: None) -> Component:
    return ComponentFactory(name="Web")


def opened(v1: APIClient, **fields: Any) -> Any:
    body = {"name": "Slow", "body": promised("Looking."), **fields}
    return v1.post(PAGE + "incidents.json", {"incident": body}, format="json")


def test_an_incident_opens_with_component_statuses_and_notifications_off(
    v1: APIClient, web: Component
) -> None:
    answer = opened(
        v1, components={web.public_id: "major_outage"}, impact_override="critical",
        deliver_notifications=False,
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    incident = answer.json()
    assert incident["page_id"] == settings.CANDOR_PAGE_ID
    assert incident["impact"] == "critical"
    assert [(c["id"], c["status"]) for c in incident["components"]] == [
        (web.public_id, "major_outage")
    ]
    [update] = incident["incident_updates"]
    assert update["deliver_notifications"] is False
    assert said(update["body"]) == "Looking."
    # The same resource, with or without .json and the trailing slash.
    for path in (f"incidents/{incident['id']}.json", f"incidents/{incident['id']}"):
        assert v1.get(PAGE + path).json()["id"] == incident["id"]
    assert [i["id"] for i in v1.get(PAGE + "incidents/unresolved").json()] == [incident["id"]]


def test_patching_status_and_words_posts_an_update_and_resolves(v1: APIClient) -> None:
    incident = opened(v1).json()
    path = PAGE + f"incidents/{incident['id']}.json"
    answer = v1.patch(
        path, {"incident": {"status": "monitoring", "body": promised("Fixed; watching.")}},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert answer.json()["monitoring_at"] is not None
    put = v1.put(path, {"incident": {"status": "resolved", "body": "All good."}}, format="json")
    assert put.status_code == 200, put.content
    assert put.json()["status"] == "resolved"
    assert [u["status"] for u in put.json()["incident_updates"]] == [
        "resolved", "monitoring", "investigating"
    ]  # fmt: skip


def test_lifecycle_refusals_are_422_with_the_reason(v1: APIClient) -> None:
    no_promise = opened(v1, body="We are looking.")
    assert no_promise.status_code == 422
    assert no_promise.json()["violations"]
    assert no_promise.json()["error"].startswith("body: ")

    incident = opened(v1).json()
    path = PAGE + f"incidents/{incident['id']}.json"
    no_words = v1.patch(path, {"incident": {"status": "identified"}}, format="json")
    assert no_words.status_code == 422
    assert no_words.json()["error"] == "body: This field is required."

    renamed = v1.patch(path, {"incident": {"name": "Other"}}, format="json")
    assert renamed.status_code == 422 and "name" in renamed.json()["error"]
    deleted = v1.delete(path)
    assert deleted.status_code == 422 and "Resolve it instead" in deleted.json()["error"]
    assert Incident.objects.get().name == "Slow"


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": "Slow\x1b[31m"}, "name"),  # a control character
        ({"name": "Slow \u202e"}, "name"),  # a bidi override
        ({"name": "x" * 5000}, "name"),  # past lifecycle's length
    ],
)
def test_hostile_text_is_refused_with_the_field(
    v1: APIClient, fields: dict[str, str], field: str
) -> None:
    answer = opened(v1, **fields)
    assert answer.status_code in (400, 422), answer.content
    assert answer.json()["error"].startswith(f"{field}: ")
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Slow", "body": "x"},  # not wrapped
        {"incident": ["Slow"]},
        {"incident": {"name": 5, "components": ["x"]}},
        {"incident": {"name": "Slow", "status": "scheduled", "body": "x"}},
        {"incident": {"name": "Slow", "body": "x", "components": {"nope": "major_outage"}}},
    ],
)
def test_wrong_shapes_and_types_are_a_400_with_a_reason(v1: APIClient, body: Any) -> None:
    answer = v1.post(PAGE + "incidents", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]


def test_a_megabyte_body_is_a_413(v1: APIClient) -> None:
    answer = opened(v1, body="x" * 3_000_000)
    assert answer.status_code == 413
    assert "error" in answer.json()


def test_another_page_and_no_credentials(v1: APIClient, db: None) -> None:
    assert v1.get("/api/v1/pages/elsewhere/incidents.json").status_code == 404
    assert v1.get("/api/v1/pages/elsewhere/incidents.json").json()["error"]
    anonymous = APIClient().get(PAGE + "incidents.json")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "OAuth"
    [page] = v1.get("/api/v1/pages.json").json()
    assert page["id"] == settings.CANDOR_PAGE_ID
    assert v1.get(PAGE.rstrip("/") + ".json").json()["time_zone"] == "Etc/UTC"
    assert v1.post("/api/v1/pages.json", {}, format="json").status_code == 405


def test_a_communicator_sets_a_status_but_edits_no_details(web: Component) -> None:
    v1 = oauth(staff_user("cam", roles.COMMUNICATOR))  # posts updates, manages no components
    path = PAGE + f"components/{web.public_id}.json"
    status = v1.patch(path, {"component": {"status": "partial_outage"}}, format="json")
    assert status.status_code == 200, status.content
    assert status.json()["status"] == "partial_outage"
    renamed = v1.patch(path, {"component": {"name": "Website"}}, format="json")
    assert renamed.status_code == 403
    created = v1.post(PAGE + "components", {"component": {"name": "New"}}, format="json")
    assert created.status_code == 403
    assert v1.delete(path).status_code == 422
    web.refresh_from_db()
    assert web.name == "Web"


def test_an_admin_creates_and_edits_components(admin: User) -> None:
    v1 = oauth(admin)
    answer = v1.post(
        PAGE + "components.json",
        {"component": {"name": "API", "description": "REST", "status": "degraded_performance"}},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert (made["name"], made["status"], made["group"]) == ("API", "degraded_performance", False)
    edited = v1.patch(
        PAGE + f"components/{made['id']}", {"component": {"description": None}}, format="json"
    )
    assert edited.json()["description"] is None


def test_idempotency_key_replays_the_first_answer(v1: APIClient) -> None:
    headers = {"Idempotency-Key": "v1-open-1"}
    body = {"incident": {"name": "Slow", "body": promised("Looking.")}}
    first = v1.post(PAGE + "incidents.json", body, format="json", headers=headers)
    again = v1.post(PAGE + "incidents.json", body, format="json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1


def test_subscribers_are_created_listed_and_unsubscribed(v1: APIClient, web: Component) -> None:
    confirmed = v1.post(
        PAGE + "subscribers.json",
        {"subscriber": {"email": "Ops@Example.com", "component_ids": [web.public_id],
                        "skip_confirmation_notification": True}},
        format="json",
    )  # fmt: skip
    assert confirmed.status_code == 201, confirmed.content
    assert confirmed.json()["components"] == [web.public_id]
    assert confirmed.json()["state"] == "confirmed"
    pending = v1.post(
        PAGE + "subscribers", {"subscriber": {"email": "later@example.com"}}, format="json"
    )
    assert pending.status_code == 201, pending.content
    # Without skip_confirmation_notification, the subscriber confirms, as from the page.
    assert pending.json()["mode"] == "email" and pending.json()["state"] == "pending"
    assert len(v1.get(PAGE + "subscribers.json").json()) == 2
    gone = v1.delete(PAGE + f"subscribers/{confirmed.json()['id']}.json")
    assert gone.status_code == 200
    assert Subscriber.objects.get(public_id=confirmed.json()["id"]).state == (
        SubscriberState.UNSUBSCRIBED
    )
    assert len(v1.get(PAGE + "subscribers.json").json()) == 1
    both = v1.post(
        PAGE + "subscribers", {"subscriber": {"email": "a@example.com", "phone_number": "+1"}},
        format="json",
    )  # fmt: skip
    assert both.status_code == 400


def test_a_role_without_posting_rights_is_refused(web: Component) -> None:
    approver = oauth(staff_user("lou2", roles.APPROVER_LEGAL))
    assert approver.get(PAGE + "incidents.json").status_code == 200
    answer = approver.post(
        PAGE + "incidents.json", {"incident": {"name": "x", "body": "y"}}, format="json"
    )
    assert answer.status_code == 403
    assert answer.json()["error"]


def test_paging_follows_statuspage(v1: APIClient, actor: Actor) -> None:
    for n in range(3):
        lifecycle.incident_open(actor=actor, name=f"Incident {n}", body=promised("x"))
    page = v1.get(PAGE + "incidents.json?per_page=2&page=2").json()
    assert [i["name"] for i in page] == ["Incident 0"]
    assert len(v1.get(PAGE + "incidents.json?limit=1").json()) == 1
    assert v1.get(PAGE + "incidents.json?page=0").status_code == 400
    assert v1.get(PAGE + "incidents.json?per_page=99999999999999999999").status_code == 400


def test_group_membership_is_read_as_the_token_user(responder: User) -> None:
    responder.groups.set(Group.objects.none())
    answer = oauth(responder).post(
        PAGE + "incidents.json", {"incident": {"name": "x", "body": "y"}}, format="json"
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "raw",
    [
        '{"incident": {"name": "a", "body": "x", "components": {"\\ud800": "major_outage"}}}',
        '{"incident": {"name": "a", "body": "x", "components": {"\\u0000": "major_outage"}}}',
        '{"incident": {"name": "a\\ud800", "body": "x"}}',
        '{"incident": {"name": "a", "body": "x", "component_ids": ["\\ud800"]}}',
    ],
)
def test_surrogates_and_nul_in_ids_and_keys_are_a_400(v1: APIClient, raw: str) -> None:
    """JSON object keys pass no DRF field: a surrogate there once reached PostgreSQL."""
    answer = v1.post(PAGE + "incidents.json", raw, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]


def test_subscribers_to_confirm_past_the_hourly_limit_are_a_429(
    v1: APIClient, settings: Any
) -> None:
    settings.CANDOR_SUBSCRIBE_PER_IP = 1
    first = v1.post(PAGE + "subscribers", {"subscriber": {"email": "a@example.com"}}, format="json")
    assert first.status_code == 201, first.content
    second = v1.post(
        PAGE + "subscribers", {"subscriber": {"email": "b@example.com"}}, format="json"
    )
    assert second.status_code == 429
    assert second["Retry-After"] == "3600"
    assert "Too many" in second.json()["error"]


def test_lists_take_a_fixed_number_of_queries(
    v1: APIClient, actor: Actor, web: Component, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        lifecycle.incident_open(
            actor=actor, name=f"Incident {n}", body=promised("x"),
            components={web: "partial_outage"},
        )  # fmt: skip
    # Authentication, the user's permissions, and one query per prefetched relation.
    with django_assert_max_num_queries(8):
        answer = v1.get(PAGE + "incidents.json")
    assert len(answer.json()) == 15
    assert all(i["components"][0]["id"] == web.public_id for i in answer.json())
