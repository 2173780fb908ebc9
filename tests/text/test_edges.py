"""Every writer refuses text that could not be published everywhere, with a clear reason:
staff API (400 JSON), console (form error), ingest (400 JSON), subscribe (form error)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import Component, ComponentGroup, Incident, Signal, Subscriber
from incidents.text import TextRefused, clean_text, printable, text_problem, xml_safe
from tests.ingest.conftest import Sender

pytestmark = pytest.mark.django_db

STAFF = "/api/staff/"
# (name, why it is refused in a single-line field)
SINGLE_LINE_REFUSED = [
    ("bell\x07", "control character U+0007"),
    ("esc\x1b[31m", "control character U+001B"),
    ("c1\x85next", "control character U+0085"),
    ("del\x7f", "control character U+007F"),
    ("tab\there", "control character U+0009"),
    ("line\nbreak", "control character U+000A"),
    ("ls\u2028sep", "line break U+2028"),
    ("ps\u2029sep", "line break U+2029"),
    ("rlo\u202egnp.exe", "bidirectional control U+202E"),
    ("iso\u2066late\u2069", "bidirectional control U+2066"),
    ("non\ufffe", "noncharacter U+FFFE"),
]


# -- the rule itself -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "reason"), SINGLE_LINE_REFUSED)
def test_single_line_refusals_name_the_character(value: str, reason: str) -> None:
    with pytest.raises(TextRefused) as refused:
        clean_text(value, "name", 200)
    assert refused.value.field == "name"
    assert reason in refused.value.reason


def test_nul_surrogates_and_length_are_refused() -> None:
    assert "NUL" in (text_problem("a\x00b") or "")
    assert "surrogate" in (text_problem("a\ud800b", multiline=True) or "")
    assert "at most 5" in (text_problem("abcdef", max_len=5) or "")


def test_multi_line_fields_keep_newlines_tabs_and_crlf_but_nothing_else() -> None:
    text = "First line\r\n\tindented\n\u2028after a line separator"
    assert clean_text(text, "body", multiline=True) == text
    assert text_problem("a\x07", multiline=True) is not None
    assert text_problem("a\u202e", multiline=True) is not None


def test_ordinary_text_in_any_script_is_accepted() -> None:
    for text in [
        "AT&T <-> DB",
        "Zahlungen verzögert",
        "支付延迟",
        "تأخير الدفع\u200f",
        "🔥 a\u200bb",
    ]:
        assert clean_text(text, "name", 200) == text


def test_renderers_replace_what_they_cannot_carry() -> None:
    assert xml_safe("a\x07b\ufffec\u2028") == "a\ufffdb\ufffdc\u2028"
    assert printable("a\x07b\u202ec\nd", multiline=False) == "a\ufffdb\ufffdc d"
    assert printable("a\nb\tc", multiline=True) == "a\nb\tc"


# -- the staff API ------------------------------------------------------------------------


def _errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["errors"]


@pytest.mark.parametrize(("value", "reason"), SINGLE_LINE_REFUSED[:4])
def test_staff_api_refuses_a_bad_incident_name(
    staff_api: APIClient, value: str, reason: str
) -> None:
    response = staff_api.post(STAFF + "incidents/", {"name": value, "body": "Body."}, format="json")
    assert any(reason in m for m in _errors(response)["name"])
    assert not Incident.objects.exists()


def test_staff_api_refuses_a_bad_update_body(staff_api: APIClient, payments: Incident) -> None:
    response = staff_api.post(
        STAFF + f"incidents/{payments.public_id}/updates/",
        {"body": "Fixed.\x1b[2J", "status": "identified"},
        format="json",
    )
    assert "body" in _errors(response)


def test_staff_api_refuses_bad_component_and_group_text(staff_api: APIClient) -> None:
    response = staff_api.post(
        STAFF + "components/", {"name": "API\u202e", "description": "ok"}, format="json"
    )
    assert "name" in _errors(response)
    response = staff_api.post(
        STAFF + "components/", {"name": "API", "description": "bad\x00"}, format="json"
    )
    assert "description" in _errors(response)
    assert not Component.objects.exists()


# -- the console --------------------------------------------------------------------------


def test_console_refuses_a_bad_incident_name_as_a_form_error(console: Client) -> None:
    data = {"name": "Bell\x07", "impact": "minor", "status": "investigating", "body": "Body."}
    response = console.post(reverse("console:incident_new"), data)
    assert response.status_code == 400
    assert any("U+0007" in e for e in response.context["form"].errors["name"])
    assert not Incident.objects.exists()


def test_console_refuses_a_bad_group_name(console: Client) -> None:
    response = console.post(
        reverse("console:group_new"), {"name": "Ed\u2028ge", "description": "", "position": "1"}
    )
    assert response.status_code in (200, 400)
    assert any("U+2028" in e for e in response.context["form"].errors["name"])
    assert not ComponentGroup.objects.exists()


# -- ingest --------------------------------------------------------------------------------


def _alert(name: str) -> dict[str, Any]:
    return {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": name, "severity": "critical"},
                "annotations": {"summary": "Summary."},
                "startsAt": "2026-01-01T00:00:00Z",
                "fingerprint": "f1",
            }
        ],
    }


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (json.dumps(_alert("a\u0000b")).encode(), "NUL"),
        (json.dumps(_alert("a\ud800b")).encode(), "surrogate"),
        (json.dumps(_alert("a\x07b")).encode(), "U+0007"),
    ],
)
def test_ingest_refuses_bad_text_with_a_400(
    make_sender: Callable[..., Sender], raw: bytes, needle: str
) -> None:
    sender = make_sender()
    response = sender.post(raw)
    assert response.status_code == 400, response.content
    assert needle in json.dumps(response.json())
    assert not Signal.objects.exists()


# -- subscribe -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "destination", ["ada@example\u2028.test", "ada\x07@example.test", "ada@exa\u202emple.test"]
)
def test_subscribe_refuses_bad_text_in_an_address(client: Client, destination: str) -> None:
    response = client.post(
        "/subscribe",
        {"channel": "email", "destination": destination, "scope": "all"},
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Subscriber.objects.exists()


def test_staff_api_refuses_bad_contact_and_custom_text(staff_api: APIClient) -> None:
    response = staff_api.post(
        STAFF + "contacts/", {"name": "Olivia\u202e", "phone": "+14155550101"}, format="json"
    )
    assert "U+202E" in _errors(response)["name"][0]
    response = staff_api.post(
        STAFF + "custom-texts/", {"body": "We are on it.\x08", "phase": "investigating"},
        format="json",
    )  # fmt: skip
    assert "U+0008" in _errors(response)["body"][0]
