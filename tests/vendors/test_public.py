"""What the public sees of vendors: nothing until an Admin shows a vendor, then its picked
components in "Third-party services", in v2 JSON that stays valid Statuspage (unknown
included), and a Candor instance read as a vendor through its own v2 API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Component, ComponentGroup, ComponentStatus, Vendor, VendorKind
from incidents.vendors import service
from incidents.vendors.poll import poll_due
from tests.api.test_public_v2 import check_document
from tests.factories import ComponentFactory
from tests.vendors.conftest import summary_bytes
from tests.vendors.peers import VendorPeer

pytestmark = pytest.mark.django_db

API = "brv1bkgrwx7q"


def _summary(client: Client) -> dict[str, Any]:
    response = client.get("/api/v2/summary.json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    check_document("summary.json", document)  # every field as Statuspage clients read it
    return document


def _picked(peer: VendorPeer, admin: User, capture: Any) -> tuple[Vendor, Component]:
    actor = Actor.staff(admin, channel="console")
    peer.serve("/api/v2/summary.json", summary_bytes(**{API: "partial_outage"}))
    with capture(execute=True):
        vendor = service.vendor_add(actor=actor, url=peer.url("/"))
        (api,) = service.vendor_components_pick(actor=actor, vendor=vendor, external_ids=[API])
    return vendor, api


def test_vendor_components_stay_off_the_public_page_until_an_admin_shows_them(
    vendor_peer: VendorPeer, admin: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    ComponentFactory(name="Checkout")
    vendor, api = _picked(vendor_peer, admin, django_capture_on_commit_callbacks)

    hidden = _summary(client)
    assert [c["name"] for c in hidden["components"]] == ["Checkout"]
    assert hidden["status"]["indicator"] == "none"  # a hidden vendor's outage is not ours
    assert service.THIRD_PARTY_GROUP not in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        service.vendor_edit(
            actor=Actor.staff(admin, channel="console"),
            vendor=vendor,
            name=vendor.name,
            interval=60,
            show_on_public_page=True,
        )
    shown = _summary(client)
    by_name = {c["name"]: c for c in shown["components"]}
    group = by_name[service.THIRD_PARTY_GROUP]
    assert group["group"] is True and group["components"] == [api.public_id]
    assert by_name["GitHub: API Requests"]["status"] == "partial_outage"
    page = client.get("/").content.decode()
    assert service.THIRD_PARTY_GROUP in page and "GitHub: API Requests" in page
    assert "checked" in page


def test_an_unreadable_vendor_is_unknown_on_the_page_and_valid_in_v2_json(
    vendor_peer: VendorPeer, admin: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    vendor, api = _picked(vendor_peer, admin, django_capture_on_commit_callbacks)
    Vendor.objects.filter(pk=vendor.pk).update(show_on_public_page=True)
    vendor_peer.serve("/api/v2/summary.json", b"<html>Bad gateway</html>", status=502)
    vendor.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        poll_due(now=vendor.next_poll_at)

    (shown,) = [c for c in _summary(client)["components"] if c["id"] == api.public_id]
    # Statuspage has no "unknown": the last reported status, and words that say so.
    assert shown["status"] == "partial_outage"
    assert shown["description"].startswith("Status unknown: GitHub's status page could not")
    page = client.get("/").content.decode()
    assert "status--unknown" in page


def test_a_candor_instance_is_read_as_a_vendor_through_its_v2_api(
    vendor_peer: VendorPeer, admin: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    # The other Candor: this one's own summary.json, as it serves it, served on loopback.
    actor = Actor.system("test")
    with django_capture_on_commit_callbacks(execute=True):
        group = lifecycle.group_create(actor=actor, name="Payments")
        cards = lifecycle.component_save(actor=actor, name="Card processing", group=group)
        lifecycle.component_save(actor=actor, name="Payouts", group=group)
        lifecycle.component_status_set(
            actor=actor, component=cards, status=ComponentStatus.MAJOR_OUTAGE
        )
    served = client.get("/api/v2/summary.json").content
    Component.objects.all().delete()
    ComponentGroup.objects.all().delete()

    vendor_peer.serve("/api/v2/summary.json", served)
    vendor = service.vendor_add(
        actor=Actor.staff(admin, channel="api"), url=vendor_peer.url("/"), name="Acme Pay"
    )
    assert vendor.kind == VendorKind.STATUSPAGE
    listed = {vc.name: (vc.group_name, vc.status) for vc in vendor.components.all()}
    assert listed == {
        "Card processing": ("Payments", "major_outage"),
        "Payouts": ("Payments", "operational"),
    }


def test_a_hidden_vendor_component_cannot_be_subscribed_to_nor_seen_on_the_form(
    vendor_peer: VendorPeer, admin: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _vendor, api = _picked(vendor_peer, admin, django_capture_on_commit_callbacks)
    form = client.get("/subscribe")
    assert form.status_code == 200
    assert api.public_id not in form.content.decode()


def test_unpicking_or_removing_a_hidden_vendor_never_publishes_its_components(
    vendor_peer: VendorPeer, admin: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    actor = Actor.staff(admin, channel="console")
    vendor, api = _picked(vendor_peer, admin, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        service.vendor_components_pick(actor=actor, vendor=vendor, external_ids=[])
    assert api.public_id not in {c["id"] for c in _summary(client)["components"]}

    # Unpicked, ours no longer follows the vendor.
    vendor_peer.serve("/api/v2/summary.json", summary_bytes(**{API: "major_outage"}))
    vendor.refresh_from_db()
    poll_due(now=vendor.next_poll_at)
    api.refresh_from_db()
    assert api.status == ComponentStatus.PARTIAL_OUTAGE

    with django_capture_on_commit_callbacks(execute=True):
        service.vendor_remove(actor=actor, vendor=vendor)
    assert api.public_id not in {c["id"] for c in _summary(client)["components"]}
    vendor.refresh_from_db()
    assert poll_due(now=vendor.next_poll_at) == {}  # removed: no longer polled

    # Added again, it resumes with the component of ours it had: no duplicate.
    again = service.vendor_add(actor=actor, url=vendor_peer.url("/"))
    assert again.pk == vendor.pk and again.active
    (same,) = service.vendor_components_pick(actor=actor, vendor=again, external_ids=[API])
    assert same.pk == api.pk
    same.refresh_from_db()
    assert same.status == ComponentStatus.MAJOR_OUTAGE
