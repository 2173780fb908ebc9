"""Approved wording through the staff API: what a script does to publish its own words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Incident

pytestmark = pytest.mark.wording

STAFF = "/api/staff/"
WORDS = "Card payments fail for some customers. Next update by 15:00 UTC."


def _client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_script_sends_words_an_approver_approves_and_the_script_publishes(
    staff_api: APIClient, legal: User, payments: Incident
) -> None:
    post = f"{STAFF}incidents/{payments.public_id}/updates/"
    update = {"body": WORDS, "status": "identified"}
    assert staff_api.post(post, update, format="json").status_code == 422

    sent = staff_api.post(
        f"{STAFF}custom-texts/",
        {"body": WORDS, "phase": "identified", "incident": payments.public_id},
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
    assert payments.updates.first().body == WORDS  # type: ignore[union-attr]


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


def test_an_approver_rejects_text_through_the_api_and_it_can_never_be_approved(
    staff_api: APIClient, legal: User, support: User, payments: Incident
) -> None:
    sent = staff_api.post(
        f"{STAFF}custom-texts/",
        {"body": WORDS, "phase": "identified", "incident": payments.public_id},
        format="json",
    ).json()
    reject = f"{STAFF}custom-texts/{sent['id']}/reject/"
    lou = _client(legal)

    missing = lou.post(reject, {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"]["reason"] == ["This field is required."]
    assert staff_api.post(reject, {"reason": "No."}, format="json").status_code == 403

    rejected = lou.post(reject, {"reason": "Name the card networks affected."}, format="json")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["approved"] is False
    assert rejected.json()["rejection"]["rejecter"] == "lou"
    assert rejected.json()["rejection"]["reason"] == "Name the card networks affected."

    sue = _client(support)
    again = sue.post(reject, {"reason": "Agreed."}, format="json")
    assert again.status_code == 409
    assert again.json()["errors"]["rejection"] == ["These words were already rejected."]
    approve = sue.post(f"{STAFF}custom-texts/{sent['id']}/approve/")
    assert approve.status_code == 409
    assert "can never be approved" in approve.json()["errors"]["approval"][0]
    post = f"{STAFF}incidents/{payments.public_id}/updates/"
    update = {"body": WORDS, "status": "identified"}
    assert staff_api.post(post, update, format="json").status_code == 422


def test_approved_text_is_not_rejected_through_the_api(
    staff_api: APIClient, legal: User, support: User
) -> None:
    sent = staff_api.post(
        f"{STAFF}custom-texts/", {"body": "All fine.", "phase": "resolved"}, format="json"
    ).json()
    _client(legal).post(f"{STAFF}custom-texts/{sent['id']}/approve/")

    answer = _client(support).post(
        f"{STAFF}custom-texts/{sent['id']}/reject/", {"reason": "Too late."}, format="json"
    )

    assert answer.status_code == 409
    assert answer.json()["errors"]["rejection"] == ["These words are already approved."]
