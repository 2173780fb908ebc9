"""Any Unicode string through every writer's text fields is either refused with a clear 4xx
or stored and then published everywhere (tests/text/everywhere.py) without a 5xx.

Strings mix hostile characters (C0/C1 controls, NUL, lone surrogates, bidi controls, line
separators, zero-width and noncharacters) with ordinary text, HTML and Markdown, and reach
1 MB. Bounded: CANDOR_PROPERTY_EXAMPLES examples per writer (40 by default).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from incidents.models import Incident
from incidents.text import text_problem
from tests.ingest.conftest import Sender
from tests.text.everywhere import published_everywhere

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("CANDOR_PROPERTY_EXAMPLES", "40"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)  # fmt: skip
STAFF = "/api/staff/"
HOSTILE = [
    "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9b", "\t", "\n", "\r",
    "\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c",
    "\u200b", "\u200d", "\ufeff", "\ufffe", "\uffff", "\ufdd0", "\ud800", "\udfff",
    "\U0001f525", "&", "<", ">", '"', "'", "]]>", "<script>alert(1)</script>", "&amp;",
    "**", "[x](javascript:alert(1))", "AT&T <-> DB", "\\", "%00", "{{ x }}", "{% x %}",
]  # fmt: skip
_pieces = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=()), max_size=20),  # surrogates included
)
short_text = st.lists(_pieces, max_size=12).map("".join)
# Now and then a megabyte: the same short text, repeated.
hostile_text = st.one_of(
    short_text,
    short_text.filter(bool).map(lambda s: (s * (1_000_000 // len(s) + 1))[:1_000_000]),
)


def _staff(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(api: APIClient, path: str, data: dict[str, Any]) -> Any:
    # json.dumps escapes lone surrogates (\ud800), as a client in any language may send.
    return api.post(STAFF + path, json.dumps(data), content_type="application/json")


def _ok_or_clear_4xx(response: Any) -> bool:
    """True when stored (2xx); a 4xx must carry a reason; anything else fails the test."""
    status = response.status_code
    assert status < 500, (status, response.content[:500])
    if status >= 400:
        assert status in (400, 413, 415, 422), status
        if response["Content-Type"].startswith("application/json"):
            assert json.loads(response.content), "a 4xx without a reason"
        else:
            # A form error beside the field, or the 400 page for a request too large to read.
            text = response.content.lower()
            assert b"error" in text or b"could not be read" in text, "refused without a reason"
        return False
    return True


def _form(data: dict[str, str]) -> bytes:
    # A browser (or an attacker) can send any bytes: lone surrogates as their raw bytes.
    return urlencode(data, encoding="utf-8", errors="surrogatepass").encode()


# -- staff API --------------------------------------------------------------------------------


@BOUNDED
@given(name=hostile_text, body=hostile_text)
def test_staff_api_incident_text(admin: User, client: Client, name: str, body: str) -> None:
    response = _post(
        _staff(admin),
        "incidents/",
        {"name": name, "body": body, "override_reason": "Property test."},
    )
    if _ok_or_clear_4xx(response):
        # Stored as the serializer keeps it: surrounding whitespace (\x0b too) trimmed.
        assert text_problem(name.strip(), multiline=False) is None
        published_everywhere(client)


@BOUNDED
@given(name=hostile_text, description=hostile_text)
def test_staff_api_component_text(admin: User, client: Client, name: str, description: str) -> None:
    response = _post(_staff(admin), "components/", {"name": name, "description": description})
    if _ok_or_clear_4xx(response):
        published_everywhere(client)


@BOUNDED
@given(body=hostile_text)
def test_staff_api_update_text(admin: User, client: Client, body: str) -> None:
    api = _staff(admin)
    incident = Incident.objects.filter(status="investigating").first()
    if incident is None:
        opened = _post(
            api, "incidents/", {"name": "Payments", "body": "Body.", "override_reason": "Test."}
        )
        assert opened.status_code == 201, opened.content
        incident = Incident.objects.get(public_id=opened.json()["id"])
    response = _post(
        api,
        f"incidents/{incident.public_id}/updates/",
        {"body": body, "status": "investigating", "override_reason": "Property test."},
    )
    if _ok_or_clear_4xx(response):
        published_everywhere(client)


@BOUNDED
@given(name=hostile_text, link=hostile_text, colour=hostile_text)
def test_staff_api_branding_text(
    admin: User, client: Client, name: str, link: str, colour: str
) -> None:
    body = {"site_name": name, "support_url": link, "accent_light": colour, "accent_dark": ""}
    response = _staff(admin).put(
        STAFF + "branding/", json.dumps(body), content_type="application/json"
    )
    if _ok_or_clear_4xx(response):
        # Stored as the serializer keeps it: surrounding whitespace (\x0b too) trimmed.
        assert text_problem(name.strip(), multiline=False) is None
        published_everywhere(client)


# -- console ----------------------------------------------------------------------------------


@BOUNDED
@given(name=hostile_text, body=hostile_text)
def test_console_incident_text(admin: User, client: Client, name: str, body: str) -> None:
    console = Client()
    console.force_login(admin)
    data = {"name": name, "impact": "minor", "status": "investigating", "body": body,
            "override_reason": "Property test."}  # fmt: skip
    response = console.post(
        reverse("console:incident_new"),
        _form(data),
        content_type="application/x-www-form-urlencoded",
    )
    if response.status_code == 302:
        published_everywhere(client)
    else:
        _ok_or_clear_4xx(response)
        assert response.status_code in (400, 413), response.status_code


@BOUNDED
@given(name=hostile_text, description=hostile_text)
def test_console_group_text(admin: User, client: Client, name: str, description: str) -> None:
    console = Client()
    console.force_login(admin)
    response = console.post(
        reverse("console:group_new"),
        _form({"name": name, "description": description, "position": "1"}),
        content_type="application/x-www-form-urlencoded",
    )
    if response.status_code == 302:
        published_everywhere(client)
    else:
        assert response.status_code in (400, 413), response.status_code


# -- ingest -----------------------------------------------------------------------------------


@BOUNDED
@given(name=hostile_text, summary=hostile_text, label=hostile_text)
def test_ingest_text(make_sender: Any, client: Client, name: str, summary: str, label: str) -> None:
    sender = _sender(make_sender)
    document = {
        "signals": [
            {"fingerprint": "f1", "status": "firing", "name": name, "summary": summary,
             "labels": {"service": label}},
        ]
    }  # fmt: skip
    raw = json.dumps(document).encode()  # ensure_ascii: surrogates travel as \ud800 escapes
    response = sender.post(raw)
    assert response.status_code in (202, 400, 413), (response.status_code, response.content)
    if response.status_code == 400:
        assert response.json()["errors"]
    elif response.status_code == 202:
        published_everywhere(client)


_senders: dict[int, Sender] = {}


def _sender(make_sender: Any) -> Sender:
    """One source per test (hypothesis runs many examples in one test's database)."""
    from incidents.models import Source

    source = Source.objects.filter(name="prop").first()
    if source is None:
        _senders.clear()
        _senders[0] = make_sender(name="prop", format="generic", rate_per_second=10_000,
                                  burst=10_000)  # fmt: skip
    return _senders[0]


# -- subscribe --------------------------------------------------------------------------------


@BOUNDED
@given(channel=st.sampled_from(["email", "webhook", "sms"]), destination=hostile_text)
def test_subscribe_destination(client: Client, channel: str, destination: str) -> None:
    response = client.post(
        "/subscribe",
        _form({"channel": channel, "destination": destination, "scope": "all"}),
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code in (200, 302, 400, 413, 429), response.status_code


# -- maintenance and contacts -----------------------------------------------------------------


# Ordinary words that every writer must store: proof that the cases above are not all refused
# for some reason of the test's own making (a wrong date format, a missing field).
PLAIN = "Database upgrade"
PLAIN_PHONE = "+14155550100"


def _window() -> tuple[str, str]:
    """A window ahead of now, as the schedule forms and API want it."""
    from django.utils import timezone

    start = timezone.now() + timedelta(days=2)
    return start.isoformat(), (start + timedelta(hours=2)).isoformat()


@BOUNDED
@given(name=hostile_text, body=hostile_text)
@example(name=PLAIN, body=PLAIN)
@example(name="\x0b\u200e", body=PLAIN)  # found by CI: the serializer trims the \x0b
def test_staff_api_maintenance_text(admin: User, client: Client, name: str, body: str) -> None:
    starts, ends = _window()
    data = {"name": name, "body": body, "override_reason": "Property test.",
            "scheduled_for": starts, "scheduled_until": ends}  # fmt: skip
    stored = _ok_or_clear_4xx(_post(_staff(admin), "maintenances/", data))
    assert stored or name != PLAIN
    if stored:
        # Stored as the serializer keeps it: surrounding whitespace (\x0b too) trimmed.
        assert text_problem(name.strip(), multiline=False) is None
        published_everywhere(client)


@BOUNDED
@given(name=hostile_text, body=hostile_text)
@example(name=PLAIN, body=PLAIN)
def test_console_maintenance_text(admin: User, client: Client, name: str, body: str) -> None:
    console = Client()
    console.force_login(admin)
    starts, ends = (t[:16].replace("T", " ") for t in _window())  # the form's "YYYY-MM-DD HH:MM"
    data = {"name": name, "body": body, "override_reason": "Property test.",
            "scheduled_for": starts, "scheduled_until": ends}  # fmt: skip
    response = console.post(
        reverse("console:maintenance_new"),
        _form(data),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302 or name != PLAIN, response.content[-2000:]
    if response.status_code == 302:
        published_everywhere(client)
    else:
        _ok_or_clear_4xx(response)
        assert response.status_code in (400, 413), response.status_code


@BOUNDED
@given(name=hostile_text, email=hostile_text, phone=hostile_text)
@example(name=PLAIN, email="ops@example.test", phone=PLAIN_PHONE)
def test_staff_api_contact_text(admin: User, name: str, email: str, phone: str) -> None:
    response = _post(_staff(admin), "contacts/", {"name": name, "email": email, "phone": phone})
    stored = _ok_or_clear_4xx(response)
    assert stored or name != PLAIN, response.content
    if stored:
        # Stored as the serializer keeps it: surrounding whitespace (\x0b too) trimmed.
        assert text_problem(name.strip(), multiline=False) is None
        console = Client()
        console.force_login(admin)
        listed = console.get(reverse("console:contacts"))  # the page lists what was stored
        assert listed.status_code == 200


@BOUNDED
@given(name=hostile_text, email=hostile_text, phone=hostile_text)
@example(name=PLAIN, email="ops@example.test", phone=PLAIN_PHONE)
def test_console_contact_text(admin: User, name: str, email: str, phone: str) -> None:
    console = Client()
    console.force_login(admin)
    response = console.post(
        reverse("console:contacts"),
        _form({"name": name, "email": email, "phone": phone}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302 or name != PLAIN, response.content[-2000:]
    if response.status_code == 302:
        assert console.get(reverse("console:contacts")).status_code == 200
    else:
        _ok_or_clear_4xx(response)
        assert response.status_code in (400, 413), response.status_code
