"""Registering a monitor, its token shown once, rules, triage and one-click publishing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from incidents.ingest import auth
from incidents.models import (
    AuditEvent,
    Component,
    Incident,
    Proposal,
    ProposalState,
    RoutingRule,
    Source,
)

pytestmark = pytest.mark.django_db

SETTINGS = {
    "can_propose": "on",
    "rate_per_second": "200",
    "burst": "1000",
    "hold_seconds": "0",
    "hold_count": "1",
    "recover_seconds": "300",
    "flap_changes": "4",
    "flap_window_seconds": "600",
}


def _token(page: str) -> str:
    found = re.search(r"Token: <code>([^<]+)</code>", page)
    assert found, "token not shown"
    return found.group(1)


def _register(console: Client, name: str, format: str = "generic") -> str:
    """Add a source through the console; its token, as the page shows it once."""
    page = console.post(
        "/console/sources/new/", {"name": name, "format": format, **SETTINGS}, follow=True
    )
    return _token(page.content.decode())


def _send(token: str, name: str, body: dict[str, str]) -> int:
    answer = Client().post(
        f"/api/ingest/{name}/",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    return int(answer.status_code)


def test_a_new_source_shows_its_token_once_and_stores_only_its_hash(
    console: Client, api: Component
) -> None:
    answer = console.post(
        "/console/sources/new/",
        {"name": "prom", "format": "alertmanager", **SETTINGS},
        follow=True,
    )
    page = answer.content.decode()
    token = _token(page)
    source = Source.objects.get(name="prom")
    assert source.token_hash == auth.token_hash(token)
    assert token not in str(Source.objects.values().get())
    again = console.get("/console/sources/prom/").content.decode()
    assert token not in again and "Token: <code>" not in again
    assert AuditEvent.objects.filter(action="source.saved", actor_label="rita").exists()


def test_rotating_the_token_retires_the_old_one(console: Client, api: Component) -> None:
    first = _register(console, "prom")
    second = _token(console.post("/console/sources/prom/rotate/", follow=True).content.decode())
    assert first != second
    body = {"component": "API", "status": "major_outage"}
    assert _send(first, "prom", body) == 401
    assert _send(second, "prom", body) == 202


def test_rules_are_added_and_bad_regex_refused(console: Client, api: Component) -> None:
    console.post("/console/sources/new/", {"name": "prom", "format": "alertmanager", **SETTINGS})
    bad = console.post(
        "/console/sources/prom/rules/",
        {
            "kind": "regex",
            "label": "job",
            "pattern": "(",
            "component": api.public_id,
            "position": 0,
        },
    )
    assert bad.status_code == 400
    assert "Not a valid regular expression" in bad.content.decode()
    good = console.post(
        "/console/sources/prom/rules/",
        {"kind": "regex", "label": "job", "pattern": "api-.*", "component": api.public_id,
         "position": 0},
    )  # fmt: skip
    assert good.status_code == 302
    rule = RoutingRule.objects.get()
    console.post(f"/console/sources/prom/rules/{rule.pk}/remove/")
    assert not RoutingRule.objects.exists()


def test_a_proposal_is_published_with_one_click(
    console: Client, api: Component, responder: User, django_capture_on_commit_callbacks: object
) -> None:
    token = _register(console, "curl")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _send(token, "curl", {"component": "API", "status": "partial_outage", "summary": "5xx"})
    page = console.get("/console/proposals/").content.decode()
    proposal = Proposal.objects.get(state=ProposalState.PENDING)
    assert "API: Partial outage" in page
    answer = console.post(f"/console/proposals/{proposal.public_id}/", {"decision": "publish"})
    incident = Incident.objects.get()
    assert answer["Location"] == f"/console/incidents/{incident.public_id}/"
    assert incident.impact == "major"
    api.refresh_from_db()
    assert api.status == "partial_outage"
    opened = AuditEvent.objects.get(action="incident.opened")
    assert opened.actor_label == "rita"
    sources_page = console.get("/console/sources/").content.decode()
    assert "curl" in sources_page


def test_unmatched_signals_are_listed_for_triage(
    console: Client, api: Component, django_capture_on_commit_callbacks: object
) -> None:
    token = _register(console, "curl")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _send(token, "curl", {"component": "Payments", "status": "major_outage"})
    page = console.get("/console/signals/?unmatched=1").content.decode()
    assert "Payments status" in page and "unmatched" in page


def test_an_admin_deletes_a_source_after_confirming_and_its_token_stops_working(
    console: Client, admin: User, api: Component, django_capture_on_commit_callbacks: Any
) -> None:
    token = _register(console, "curl")
    assert _send(token, "curl", {"component": "API", "status": "major_outage"}) == 202
    confirm = reverse("console:source_delete", args=["curl"])
    assert confirm not in console.get("/console/sources/curl/").content.decode()
    assert console.post(confirm).status_code == 403  # a responder may not
    ada = Client()
    ada.force_login(admin)
    assert confirm in ada.get("/console/sources/curl/").content.decode()

    page = ada.get(confirm).content.decode()
    assert "1 signal (1 firing)" in page
    with django_capture_on_commit_callbacks(execute=True):
        done = ada.post(confirm, follow=True)

    assert done.redirect_chain == [(reverse("console:sources"), 302)]
    assert "Source “curl” deleted; its token no longer works." in done.content.decode()
    assert not Source.objects.exists()
    assert AuditEvent.objects.filter(action="source.deleted", actor_label="ada").exists()
    assert _send(token, "curl", {"component": "API", "status": "operational"}) == 404
