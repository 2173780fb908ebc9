"""Polling vendors over real HTTP on loopback: a Statuspage vendor going down, feeds,
conditional requests, faults shown as unknown, backoff, and one vendor's trouble not
holding up the others."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.audit import Actor
from incidents.models import (
    AuditAction,
    AuditEvent,
    ComponentStatus,
    Vendor,
    VendorKind,
    VendorState,
    VendorStatus,
)
from incidents.vendors import service
from incidents.vendors.poll import poll_due
from tests.vendors.conftest import feed, summary_bytes
from tests.vendors.peers import VendorPeer

pytestmark = pytest.mark.django_db

API = "brv1bkgrwx7q"  # "API Requests" in the saved summary
ACTIONS = "h2ftsgbw7kmk"  # "Actions", in the group "Build and deploy"


def _actor(admin: User) -> Actor:
    return Actor.staff(admin, channel="console")


def _due(vendor: Vendor) -> datetime:
    """Move time to the vendor's next poll rather than sleeping."""
    vendor.refresh_from_db()
    return vendor.next_poll_at


def _github(peer: VendorPeer, admin: User, **statuses: str) -> Vendor:
    peer.serve("/api/v2/summary.json", summary_bytes(**statuses))
    return service.vendor_add(actor=_actor(admin), url=peer.url("/"))


def test_adding_a_status_page_finds_its_summary_and_lists_its_components(
    vendor_peer: VendorPeer, admin: User
) -> None:
    vendor = _github(vendor_peer, admin)
    assert vendor.kind == VendorKind.STATUSPAGE
    assert vendor.name == "GitHub"
    assert vendor.url == vendor_peer.url("/api/v2/summary.json")
    names = {vc.name: vc.group_name for vc in vendor.components.all()}
    # Groups are not components to pick: their children are, named with their group.
    assert "Build and deploy" not in names
    assert names["Actions"] == "Build and deploy"
    assert len(names) == 6
    assert AuditEvent.objects.filter(action=AuditAction.VENDOR_ADDED).count() == 1


def test_a_vendor_going_to_major_outage_moves_the_linked_component_with_audit(
    vendor_peer: VendorPeer, admin: User
) -> None:
    vendor = _github(vendor_peer, admin)
    (api,) = service.vendor_components_pick(actor=_actor(admin), vendor=vendor, external_ids=[API])
    assert api.group.name == service.THIRD_PARTY_GROUP
    assert api.status == ComponentStatus.OPERATIONAL

    vendor_peer.serve("/api/v2/summary.json", summary_bytes(**{API: "major_outage"}))
    assert poll_due(now=_due(vendor)) == {"changed": 1}

    api.refresh_from_db()
    assert api.status == ComponentStatus.MAJOR_OUTAGE
    event = AuditEvent.objects.filter(action=AuditAction.COMPONENT_STATUS_SET).latest("pk")
    assert event.actor_label == "system:vendor-poll"
    assert event.data == {"old": "operational", "new": "major_outage"}
    vendor.refresh_from_db()
    assert vendor.last_changed_at is not None and vendor.state == VendorState.OK

    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    poll_due(now=_due(vendor))
    api.refresh_from_db()
    assert api.status == ComponentStatus.OPERATIONAL


def test_an_unchanged_summary_is_asked_for_conditionally_and_answered_304(
    vendor_peer: VendorPeer, admin: User
) -> None:
    vendor = _github(vendor_peer, admin)
    assert poll_due(now=_due(vendor)) == {"not_modified": 1}
    asked = vendor_peer.requests[-1]["headers"]
    assert asked["if-none-match"] == Vendor.objects.get().etag
    assert asked["if-modified-since"] == Vendor.objects.get().last_modified


def test_last_modified_alone_is_sent_back_when_there_is_no_etag(
    vendor_peer: VendorPeer, admin: User
) -> None:
    vendor = _github(vendor_peer, admin)
    Vendor.objects.filter(pk=vendor.pk).update(etag="")
    assert poll_due(now=_due(vendor)) == {"not_modified": 1}
    assert "if-none-match" not in vendor_peer.requests[-1]["headers"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 500, "body": b"oops"}, "answered HTTP 500"),
        ({"status": 404, "body": b"gone"}, "answered HTTP 404"),
        ({"body": b'{"page": {"name": "x"}, "components": [', "validators": False},
         "not valid JSON"),
        (
            {"body": b"<!doctype html><html><body>Service Unavailable</body></html>",
             "content_type": "text/html", "validators": False},
            "neither JSON nor an RSS/Atom feed",
        ),
        ({"body": summary_bytes(), "delay": 1.6}, "no answer within 1 s"),
    ],
    ids=["500", "404", "malformed-json", "html-with-200", "slow"],
)  # fmt: skip
def test_a_vendor_page_that_cannot_be_read_shows_unknown_not_operational(
    vendor_peer: VendorPeer, admin: User, fault: dict[str, Any], error: str
) -> None:
    vendor = _github(vendor_peer, admin, **{API: "degraded_performance"})
    (api,) = service.vendor_components_pick(actor=_actor(admin), vendor=vendor, external_ids=[API])
    body = fault.pop("body")
    vendor_peer.serve("/api/v2/summary.json", body, **fault)

    before = _due(vendor)
    assert poll_due(now=before) == {"failed": 1}

    vendor.refresh_from_db()
    assert vendor.state == VendorState.UNKNOWN
    assert error in vendor.last_error
    assert set(vendor.components.values_list("status", flat=True)) == {VendorStatus.UNKNOWN}
    # Our failure to read the page is not the vendor's outage: the component keeps the
    # last status the vendor reported, and nothing downstream moves.
    api.refresh_from_db()
    assert api.status == ComponentStatus.DEGRADED_PERFORMANCE
    assert vendor.failures == 1 and vendor.next_poll_at >= before + timedelta(seconds=60)


def test_failures_back_off_exponentially_capped_and_a_success_resets(
    vendor_peer: VendorPeer, admin: User, settings: Any
) -> None:
    settings.CANDOR_VENDOR_BACKOFF_MAX = 600
    vendor = _github(vendor_peer, admin)
    vendor_peer.serve("/api/v2/summary.json", b"", status=503)
    waits = []
    for _ in range(6):
        at = _due(vendor)
        poll_due(now=at)
        waits.append((_due(vendor) - at).total_seconds())
    assert 60 <= waits[0] <= 120
    assert 120 <= waits[1] <= 240
    assert max(waits) <= 600 and waits[-1] >= 300
    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    at = _due(vendor)
    # The same document as before the failures: a 304, and the statuses it gave are current.
    assert poll_due(now=at) == {"not_modified": 1}
    vendor.refresh_from_db()
    assert vendor.failures == 0 and vendor.state == VendorState.OK
    assert set(vendor.components.values_list("status", flat=True)) == {VendorStatus.OPERATIONAL}
    assert vendor.next_poll_at == at + timedelta(seconds=60)


def test_a_slow_vendor_does_not_delay_the_others(
    vendor_peer: VendorPeer, admin: User, settings: Any
) -> None:
    settings.CANDOR_VENDOR_TIMEOUT = 2
    vendors = []
    for n in range(4):
        vendor_peer.serve(f"/v{n}/api/v2/summary.json", summary_bytes())
        vendors.append(service.vendor_add(actor=_actor(admin), url=vendor_peer.url(f"/v{n}/")))
    for n in range(1, 4):
        vendor_peer.serve(f"/v{n}/api/v2/summary.json", summary_bytes(**{API: "partial_outage"}))
    for n in range(3):
        vendor_peer.pages[f"/v{n}/api/v2/summary.json"].delay = 1.5
    now = max(_due(v) for v in vendors)
    started = time.monotonic()
    result = poll_due(now=now)
    took = time.monotonic() - started
    assert result == {"changed": 3, "not_modified": 1}
    # In turn the three slow answers alone take 4.5 s; side by side, one wait (1.5 s) plus
    # the recording, with room for a loaded machine.
    assert took < 4.0


def test_a_vendor_is_not_polled_before_it_is_due_nor_twice_by_overlapping_runs(
    vendor_peer: VendorPeer, admin: User
) -> None:
    vendor = _github(vendor_peer, admin)
    at = _due(vendor)
    assert poll_due(now=at - timedelta(seconds=1)) == {}
    asked = len(vendor_peer.requests)
    assert poll_due(now=at) == {"not_modified": 1}
    assert poll_due(now=at) == {}  # claimed and moved on
    assert len(vendor_peer.requests) == asked + 1


def test_a_feed_only_vendor_is_read_from_its_newest_entry(
    vendor_peer: VendorPeer, admin: User
) -> None:
    now = timezone.now()
    calm = feed(("Delayed builds", "Resolved", now - timedelta(days=2)))
    vendor_peer.serve("/history.atom", calm, content_type="application/atom+xml")
    vendor = service.vendor_add(actor=_actor(admin), url=vendor_peer.url("/history.atom"))
    assert vendor.kind == VendorKind.FEED
    assert vendor.name == "Example Cloud Status - Incident History"
    (component,) = service.vendor_components_pick(
        actor=_actor(admin), vendor=vendor, external_ids=["feed"]
    )
    assert component.status == ComponentStatus.OPERATIONAL

    down = feed(
        ("Delayed builds", "Resolved", now - timedelta(days=2)),
        ("Service disruption: API unavailable in us-east-1", "Investigating", now),
    )
    vendor_peer.serve("/history.atom", down, content_type="application/atom+xml")
    poll_due(now=_due(vendor))
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE

    fixed = feed(
        (
            "Service disruption: API unavailable in us-east-1",
            "Resolved",
            now + timedelta(minutes=5),
        ),
    )
    vendor_peer.serve("/history.atom", fixed, content_type="application/atom+xml")
    poll_due(now=_due(vendor))
    component.refresh_from_db()
    assert component.status == ComponentStatus.OPERATIONAL


def test_a_private_address_is_refused_outside_tests(
    vendor_peer: VendorPeer, admin: User, settings: Any
) -> None:
    settings.CANDOR_VENDOR_ALLOW_PRIVATE = False  # the production default
    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    with pytest.raises(ValidationError) as refused:
        service.vendor_add(actor=_actor(admin), url=vendor_peer.url("/"))
    assert "not globally routable" in str(refused.value)
    assert vendor_peer.requests == []


def test_a_vendor_is_added_only_by_someone_allowed_to(
    vendor_peer: VendorPeer, responder: User
) -> None:
    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    with pytest.raises(PermissionError):
        service.vendor_add(actor=_actor(responder), url=vendor_peer.url("/"))


def test_an_oversized_document_is_not_read(
    vendor_peer: VendorPeer, admin: User, settings: Any
) -> None:
    vendor = _github(vendor_peer, admin)
    settings.CANDOR_VENDOR_MAX_BYTES = 4096
    vendor_peer.serve("/api/v2/summary.json", b'{"page": ' + b" " * 10_000 + b"}")
    poll_due(now=_due(vendor))
    vendor.refresh_from_db()
    assert "larger than 4096 bytes" in vendor.last_error
