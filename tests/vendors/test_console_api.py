"""Vendors in the console and the staff API: Admins add and pick, everyone on staff sees
the polling state, refusals come back beside their field."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import AuditAction, AuditEvent, Vendor, VendorState
from tests.vendors.conftest import summary_bytes
from tests.vendors.peers import VendorPeer

pytestmark = pytest.mark.django_db

API = "brv1bkgrwx7q"


@pytest.fixture
def admin_console(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def admin_api(admin: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    return client


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_an_admin_adds_a_vendor_picks_a_component_and_sees_polling_state(
    admin_console: Client, vendor_peer: VendorPeer
) -> None:
    vendor_peer.serve("/api/v2/summary.json", summary_bytes(**{API: "degraded_performance"}))
    added = admin_console.post("/console/vendors/", {"url": vendor_peer.url("/"), "name": ""})
    assert added.status_code == 302
    vendor = Vendor.objects.get()
    detail = admin_console.get(added["Location"])
    page = _text(detail)
    assert "Build and deploy / Actions" in page and "Last fetched" in page
    assert "Next poll" in page

    picked = admin_console.post(added["Location"], {"form": "pick", "components": [API]})
    assert picked.status_code == 302
    link = vendor.components.get(external_id=API)
    assert link.component is not None
    assert link.component.status == "degraded_performance"
    assert AuditEvent.objects.filter(action=AuditAction.VENDOR_COMPONENTS_PICKED).exists()

    listing = _text(admin_console.get("/console/vendors/"))
    assert "GitHub" in listing and "1 of 6" in listing


def test_an_unreadable_url_is_refused_beside_its_field(
    admin_console: Client, vendor_peer: VendorPeer
) -> None:
    vendor_peer.serve("/", b"<html>Our status</html>", content_type="text/html")
    response = admin_console.post("/console/vendors/", {"url": vendor_peer.url("/")})
    assert response.status_code == 400
    assert "No status document could be read" in _text(response)
    assert "answered HTTP 404" in _text(response)  # the summary.json tried under it
    assert not Vendor.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/feed", "http://exa\u202emple.com/", "https://" + "a" * 600 + ".com"],
    ids=["scheme", "bidi", "too-long"],
)
def test_hostile_urls_are_refused_before_anything_is_fetched(
    admin_console: Client, vendor_peer: VendorPeer, url: str
) -> None:
    response = admin_console.post("/console/vendors/", {"url": url})
    assert response.status_code == 400
    assert vendor_peer.requests == []


def test_a_responder_may_look_but_not_add(responder: User, vendor_peer: VendorPeer) -> None:
    client = Client()
    client.force_login(responder)
    assert client.get("/console/vendors/").status_code == 200
    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    assert client.post("/console/vendors/", {"url": vendor_peer.url("/")}).status_code == 403
    assert vendor_peer.requests == []


def test_the_staff_api_adds_picks_edits_polls_and_removes(
    admin_api: APIClient, vendor_peer: VendorPeer, django_capture_on_commit_callbacks: Any
) -> None:
    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    created = admin_api.post("/api/staff/vendors/", {"url": vendor_peer.url("/")}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "statuspage" and body["state"] == "ok"
    assert len(body["components"]) == 6
    vid = body["id"]

    picked = admin_api.put(
        f"/api/staff/vendors/{vid}/components/", {"components": [API]}, format="json"
    )
    assert picked.status_code == 200
    (ours,) = [c for c in picked.json()["components"] if c["picked"]]
    assert ours["id"] == API and ours["component_id"]

    refused = admin_api.put(
        f"/api/staff/vendors/{vid}/components/", {"components": ["nope"]}, format="json"
    )
    assert refused.status_code == 400 and "components" in refused.json()["errors"]

    too_fast = admin_api.put(
        f"/api/staff/vendors/{vid}/",
        {"name": "GitHub", "interval": 5, "show_on_public_page": True},
        format="json",
    )
    assert too_fast.status_code == 400 and "interval" in too_fast.json()["errors"]

    vendor_peer.serve("/api/v2/summary.json", b"", status=500)
    with django_capture_on_commit_callbacks(execute=True):
        polled = admin_api.post(f"/api/staff/vendors/{vid}/poll/")
    assert polled.status_code == 202
    assert Vendor.objects.get().state == VendorState.UNKNOWN
    assert admin_api.get(f"/api/staff/vendors/{vid}/").json()["last_error"] == "answered HTTP 500"

    assert admin_api.delete(f"/api/staff/vendors/{vid}/").status_code == 204
    assert admin_api.get(f"/api/staff/vendors/{vid}/").json()["active"] is False
    assert AuditEvent.objects.filter(action=AuditAction.VENDOR_REMOVED).count() == 1
