"""The staff API's postmortem: a script writes it, two approvers approve, it is published,
and the public v2 JSON says so; and what the API refuses, with which status."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from incidents.audit import Actor
from incidents.models import Delivery, Incident, PostmortemRevision, Subscriber, SubscriberState
from tests.api.test_wording_api import _client
from tests.postmortems import postmortem_approved, resolved_incident

WORDS = "Our database pool was too small for the evening peak."


@pytest.fixture
def incident(actor: Actor) -> Incident:
    return resolved_incident(actor)


def _url(incident: Incident, action: str = "") -> str:
    return f"/api/staff/incidents/{incident.public_id}/postmortem/" + (
        f"{action}/" if action else ""
    )


def test_write_approve_publish_through_the_api(
    staff_api: APIClient, incident: Incident, legal: User, support: User
) -> None:
    draft = staff_api.get(_url(incident)).json()
    assert draft["id"] is None and draft["revision"] is None
    assert "### Timeline\n\n- " in draft["body"]  # the generated timeline, in the draft
    body = draft["body"].replace("### Root cause\n", f"### Root cause\n\n{WORDS}\n")

    saved = staff_api.put(_url(incident), {"body": body}, format="json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 1 and saved.json()["approved"] is False
    assert staff_api.post(_url(incident, "approve")).status_code == 403  # a responder
    assert staff_api.post(_url(incident, "publish")).status_code == 400  # not approved yet

    assert _client(legal).post(_url(incident, "approve")).status_code == 200
    approved = _client(support).post(_url(incident, "approve"))
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved"] is True
    assert {a["qualifier"] for a in approved.json()["approvals"]} == {"legal", "support"}

    published = staff_api.post(_url(incident, "publish"))
    assert published.status_code == 200, published.content
    assert published.json()["published"] is True
    listed = APIClient().get("/api/v2/incidents.json").json()["incidents"][0]
    assert listed["status"] == "postmortem"
    assert WORDS in listed["postmortem_body"]


@pytest.mark.parametrize(
    ("extra", "status", "reason"),
    [
        ("\x1b[31m", 400, "control character"),
        ("\u202e", 400, "bidirectional control"),
        ("x" * 1_000_000, 400, "at most 50000 characters"),
        ("We guarantee it.", 422, "Guarantees"),
    ],
    ids=["control", "bidi", "1 MB", "policy"],
)
def test_hostile_or_refused_words_get_a_clear_4xx(
    staff_api: APIClient, incident: Incident, extra: str, status: int, reason: str
) -> None:
    body = staff_api.get(_url(incident)).json()["body"] + extra
    answer = staff_api.put(_url(incident), {"body": body}, format="json")
    assert answer.status_code == status, answer.content[:300]
    assert reason in answer.content.decode()
    assert not PostmortemRevision.objects.exists()


def test_an_unknown_template_or_incident(staff_api: APIClient, incident: Incident) -> None:
    answer = staff_api.put(_url(incident), {"body": "x", "template": "nope"}, format="json")
    assert answer.status_code == 400
    assert "template" in answer.json()["errors"]
    assert staff_api.get("/api/staff/incidents/nope/postmortem/").status_code == 404
    assert staff_api.post(_url(incident, "publish")).status_code == 404  # nothing saved yet


def test_the_operations_are_in_the_schema() -> None:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "/api/staff/incidents/{public_id}/postmortem/" in paths
    assert "put" in paths["/api/staff/incidents/{public_id}/postmortem/"]
    assert "/api/staff/incidents/{public_id}/postmortem/publish/" in paths


def test_an_approver_rejects_with_a_reason(
    staff_api: APIClient, incident: Incident, legal: User
) -> None:
    body = staff_api.get(_url(incident)).json()["body"]
    staff_api.put(_url(incident), {"body": body}, format="json")
    assert staff_api.post(_url(incident, "reject"), {"reason": "x"}).status_code == 403
    lou = _client(legal)
    assert lou.post(_url(incident, "reject"), {}, format="json").status_code == 400
    rejected = lou.post(_url(incident, "reject"), {"reason": "Vague."}, format="json")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["rejection"]["reason"] == "Vague."
    assert rejected.json()["approved"] is False
    assert lou.post(_url(incident, "approve")).status_code == 400


def test_publishing_through_the_api_tells_subscribers_when_asked_and_forecasts_it(
    staff_api: APIClient, incident: Incident, responder: User
) -> None:
    Subscriber.objects.create(
        channel="email", destination="all@example.com", state=SubscriberState.CONFIRMED,
        created_at=timezone.now(),
    )  # fmt: skip
    postmortem_approved(incident, responder)
    forecast = staff_api.post(_url(incident, "publish/forecast"), {"notify": "all"}, format="json")
    assert forecast.status_code == 200, forecast.content
    assert forecast.json()["messages"] == 1 and forecast.json()["notify"] == "all"
    refused = staff_api.post(_url(incident, "publish"), {"notify": "loud"}, format="json")
    assert refused.status_code == 400 and "notify" in refused.json()["errors"]

    published = staff_api.post(_url(incident, "publish"), {"notify": "all"}, format="json")
    assert published.status_code == 200, published.content
    assert Delivery.objects.filter(postmortem__incident=incident).count() == 1


def test_publishing_through_the_api_tells_nobody_by_default(
    staff_api: APIClient, incident: Incident, responder: User
) -> None:
    Subscriber.objects.create(
        channel="email", destination="all@example.com", state=SubscriberState.CONFIRMED,
        created_at=timezone.now(),
    )  # fmt: skip
    postmortem_approved(incident, responder)
    assert staff_api.post(_url(incident, "publish")).status_code == 200
    assert not Delivery.objects.exists()
