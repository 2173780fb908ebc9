"""The console's live wording check: the policy lifecycle applies, as the writer types."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from incidents.wording.drafts import draft_update

pytestmark = pytest.mark.wording

URL = reverse("console:wording_check")


def test_an_update_is_checked_in_the_phase_its_status_means(console: Client) -> None:
    text = "Our seamless API is slow. Next update by 15:00 UTC."
    answer = console.post(URL, {"body": text, "kind": "incident", "status": "investigating"})

    assert answer.status_code == 200
    [violation] = answer.json()["violations"]
    assert violation["rule"] == "marketing-speak"
    assert text[violation["start"] : violation["end"]] == "seamless"
    assert answer.json()["phase"] == "investigating"


def test_a_maintenance_status_maps_to_its_phase(console: Client) -> None:
    answer = console.post(URL, {"body": "Started.", "kind": "maintenance", "status": "verifying"})
    assert answer.json()["phase"] == "maintenance_started"
    assert answer.json()["violations"] == []


def test_a_template_is_checked_as_rendered_and_an_sms_counted(console: Client) -> None:
    body = "{title}: all fixed. {status_url} ✓"
    answer = console.post(
        URL, {"body": body, "kind": "template", "status": "resolved", "channel": "sms"}
    ).json()

    assert answer["text"] == f"Elevated error rates: all fixed. {settings.CANDOR_CANONICAL_URL} ✓"
    assert answer["violations"] == []
    assert answer["sms"]["encoding"] == "UCS-2"  # the check mark is not GSM-7
    assert answer["sms"]["segments"] == 1


def test_a_template_with_an_unknown_placeholder_says_so(console: Client) -> None:
    answer = console.post(
        URL, {"body": "Hi {name}", "kind": "template", "status": "resolved", "channel": "web"}
    ).json()
    assert "Unknown placeholder {name}" in answer["problems"][0]


def test_an_unknown_phase_is_a_bad_request(console: Client) -> None:
    assert console.post(URL, {"body": "x", "kind": "incident", "status": "x"}).status_code == 400


def test_one_verdict_policy_breaking_words_are_refused_whatever_else(console: Client) -> None:
    text = "Our seamless API is slow. Next update by 15:00 UTC."
    answer = console.post(URL, {"body": text, "kind": "incident", "status": "investigating"})
    assert answer.json()["verdict"] == "breaks_policy"
    assert answer.json()["message"] == "Refused: 1 problem with the wording policy."


def test_one_verdict_clean_words_not_approved_need_an_approver(
    console: Client, payments: Incident
) -> None:
    text = "Card payments fail for some customers. Next update within 30 minutes."
    answer = console.post(
        URL,
        {"body": text, "kind": "incident", "status": "investigating",
         "incident": payments.public_id},
    ).json()  # fmt: skip
    assert answer["violations"] == []
    assert answer["verdict"] == "needs_approval"
    assert "not approved" in answer["message"] and "No problems" not in answer["message"]


def test_one_verdict_an_approved_template_rendering_is_ready(
    console: Client, payments: Incident
) -> None:
    body = draft_update(payments, phase="identified", now=timezone.now())
    answer = console.post(
        URL,
        {"body": body, "kind": "incident", "status": "identified", "incident": payments.public_id},
    ).json()
    assert answer["verdict"] == "approved", answer
    assert answer["message"].startswith("Approved words (an approved template)")
