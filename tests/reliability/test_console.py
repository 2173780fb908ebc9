"""An Admin decides what the report makes public; nobody else can."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from incidents.models import AuditAction, AuditEvent
from incidents.reliability.visibility import report_visibility
from tests.factories import ComponentFactory

# Works in `make run` too (SQLite, no Redis): the Makefile runs these there as well.
pytestmark = pytest.mark.embedded

URL = "/console/report/"


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_turns_the_report_on_and_hides_a_component(admin: User) -> None:
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Web")
    assert reverse("console:report_settings") == URL
    client = _signed_in(admin)
    page = client.get(URL)
    assert page.status_code == 200 and "Web" in page.content.decode()
    response = client.post(
        URL,
        {
            "enabled": "on",
            "figures": ["show_uptime", "show_promises"],
            "hidden": [web.public_id],
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    shown = report_visibility()
    assert shown.enabled and shown.hidden == frozenset([web.pk])
    assert (shown.show_uptime, shown.show_promises, shown.show_incidents) == (True, True, False)
    event = AuditEvent.objects.get(action=AuditAction.REPORT_SETTINGS_SET)
    assert event.data["hidden"] == [web.public_id] and event.actor == admin
    assert api.public_id not in event.data["hidden"]


def test_a_component_that_does_not_exist_is_a_form_error(admin: User) -> None:
    response = _signed_in(admin).post(
        URL, {"enabled": "on", "figures": ["show_uptime"], "hidden": ["nope"],
              "submission_key": str(uuid.uuid4())},
    )  # fmt: skip
    assert response.status_code == 400
    assert report_visibility().enabled is False


def test_on_with_no_figure_at_all_is_refused(admin: User) -> None:
    response = _signed_in(admin).post(URL, {"enabled": "on", "submission_key": str(uuid.uuid4())})
    assert response.status_code == 400
    assert "at least one figure" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.REPORT_SETTINGS_SET).exists()


def test_a_responder_may_look_but_not_change(responder: User) -> None:
    client = _signed_in(responder)
    page = client.get(URL)
    assert page.status_code == 200 and "Only Admins" in page.content.decode()
    response = client.post(
        URL, {"enabled": "on", "figures": ["show_uptime"], "submission_key": str(uuid.uuid4())}
    )
    assert response.status_code == 403
    assert report_visibility().enabled is False
