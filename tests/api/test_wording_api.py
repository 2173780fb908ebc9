"""Approved wording through the staff API: what a script does to publish its own words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Incident

pytestmark = pytest.mark.wording

STAFF = "/api/staff/"
WORDS = "Card payments fail for some customers. Next update by 15:00 UTC."


def _client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def incident(actor: Actor) -> Incident:
    body = "We are investigating reports of problems with some of our services since 14:00 "
    body += "UTC. Next update by 14:30 UTC."
    return lifecycle.incident_open(actor=Actor.system("ingest"), name="Payments", body=body)


def test_a_script_sends_words_an_approver_approves_and_the_script_publishes(
    staff_api: APIClient, legal: User, incident: Incident
) -> None:
    post = f"{STAFF}incidents/{incident.public_id}/updates/"
    update = {"body": WORDS, "status": "identified"}
    assert staff_api.post(post, update, format="json").status_code == 422

    sent = staff_api.post(
        f"{STAFF}custom-texts/",
        {"body": WORDS, "phase": "identified", "incident": incident.public_id},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["approved"] is False
    approve = f"{STAFF}custom-texts/{sent.json()['id']}/approve/"
    assert staff_api.post(approve).status_code == 403  # a responder does not approve

    approved = _client(legal).post(approve)
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved"] is True
    assert approved.json()["approvals"][0]["qualifier"] == "legal"

    assert staff_api.post(post, update, format="json").status_code == 201
    assert incident.updates.first().body == WORDS  # type: ignore[union-attr]


def test_an_approver_cannot_approve_their_own_words_through_the_api(legal: User) -> None:
    # An approver who also writes: still not for their own words.
    client = _client(legal)
    legal.user_permissions.add(
        Permission.objects.get(codename="post_updates", content_type__app_label="incidents")
    )
    sent = client.post(
        f"{STAFF}custom-texts/", {"body": "Fine.", "phase": "resolved"}, format="json"
    )
    answer = client.post(f"{STAFF}custom-texts/{sent.json()['id']}/approve/")

    assert answer.status_code == 400
    assert answer.json()["errors"]["approval"] == ["Nobody approves their own words."]


def test_words_that_break_the_policy_are_not_even_sent(staff_api: APIClient) -> None:
    answer = staff_api.post(
        f"{STAFF}custom-texts/",
        {"body": "Our seamless recovery is complete.", "phase": "resolved"},
        format="json",
    )
    assert answer.status_code == 422
    assert [v["rule"] for v in answer.json()["violations"]] == ["marketing-speak"]
    assert answer.json()["violations"][0]["excerpt"] == "seamless"


def test_approved_templates_of_a_phase_for_scripts_to_fill(staff_api: APIClient) -> None:
    answer = staff_api.get(f"{STAFF}templates/", {"phase": "investigating"})

    assert answer.status_code == 200
    bodies = {t["channel"]: t["body"] for t in answer.json()}
    assert "{next_update_at}" in bodies["web"]
    assert "{status_url}" in bodies["sms"]
    assert staff_api.get(f"{STAFF}templates/", {"phase": "nope"}).status_code == 400
