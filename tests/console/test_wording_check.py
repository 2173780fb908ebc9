"""The console's live wording check: the policy lifecycle applies, as the writer types."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

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
    assert answer.json() == {"phase": "maintenance_started", "violations": []}


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
