"""End to end (issue 18, "Done when"): a vendor served on loopback goes from operational to
major outage; the poll moves the component of ours that follows it, propagation proposes
the impact on everything downstream (a hard edge, a soft edge, a chain) in ONE proposal,
and a responder publishes it in one click. The cause stays internal; the public words never
name the vendor. A vendor page that cannot be read proposes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from incidents.audit import Actor
from incidents.dependencies.causes import incident_causes
from incidents.models import (
    Component,
    ComponentStatus,
    DependencyKind,
    Incident,
    Proposal,
    ProposalKind,
    ProposalState,
    Vendor,
    VendorState,
)
from incidents.vendors import service
from incidents.vendors.poll import poll_due
from tests.dependencies.conftest import depend
from tests.factories import ComponentFactory
from tests.vendors.conftest import summary_bytes
from tests.vendors.peers import VendorPeer

pytestmark = pytest.mark.django_db

API = "brv1bkgrwx7q"  # "API Requests" in GitHub's saved summary.json
SUMMARY = "/api/v2/summary.json"
MAJOR, DEGRADED = ComponentStatus.MAJOR_OUTAGE, ComponentStatus.DEGRADED_PERFORMANCE


@pytest.fixture(autouse=True)
def _vendor_settings(settings: Any) -> None:
    settings.CANDOR_VENDOR_ALLOW_PRIVATE = True  # the vendor lives on loopback
    settings.CANDOR_VENDOR_TIMEOUT = 1


@pytest.fixture
def peer() -> Iterator[VendorPeer]:
    vendor_peer = VendorPeer().start()
    yield vendor_peer
    vendor_peer.stop()


def _due(vendor: Vendor) -> datetime:
    vendor.refresh_from_db()
    return vendor.next_poll_at


def _graph(peer: VendorPeer, admin: User) -> tuple[Vendor, Component, dict[str, Component]]:
    """GitHub's API Requests, followed by a component of ours, with downstream: Builds
    (hard) -> Deploys (hard, a chain), and Docs search (soft)."""
    peer.serve(SUMMARY, summary_bytes())
    ada = Actor.staff(admin, channel="console")
    vendor = service.vendor_add(actor=ada, url=peer.url("/"))
    (github_api,) = service.vendor_components_pick(actor=ada, vendor=vendor, external_ids=[API])
    ours = {n: ComponentFactory(name=n) for n in ("Builds", "Deploys", "Docs search")}
    depend(ours["Builds"], github_api, DependencyKind.HARD)
    depend(ours["Deploys"], ours["Builds"], DependencyKind.HARD)
    depend(ours["Docs search"], github_api, DependencyKind.SOFT)
    return vendor, github_api, ours


def _poll(vendor: Vendor, capture: Any) -> dict[str, int]:
    """One poll when the vendor is due, running what its commits queue (propagation)."""
    with capture(execute=True):
        return poll_due(now=_due(vendor))


def _pending() -> list[Proposal]:
    return list(Proposal.objects.filter(kind=ProposalKind.IMPACT, state=ProposalState.PENDING))


@pytest.mark.wording  # the production policy: the published words promise the next update
def test_a_vendor_major_outage_is_one_proposal_published_in_one_click(
    peer: VendorPeer,
    admin: User,
    responder: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    vendor, github_api, ours = _graph(peer, admin)
    assert _poll(vendor, django_capture_on_commit_callbacks) == {"not_modified": 1}
    assert not Proposal.objects.exists()  # operational: nothing to propose

    peer.serve(SUMMARY, summary_bytes(**{API: "major_outage"}))
    assert _poll(vendor, django_capture_on_commit_callbacks) == {"changed": 1}
    github_api.refresh_from_db()
    assert github_api.status == MAJOR

    [proposal] = Proposal.objects.filter(kind=ProposalKind.IMPACT)
    assert proposal.state == ProposalState.PENDING
    names = dict(Component.objects.values_list("public_id", "name"))
    assert {names[k]: v for k, v in proposal.components.items()} == {
        "Builds": MAJOR,
        "Deploys": MAJOR,
        "Docs search": DEGRADED,
    }
    # Polled again with nothing new: still one proposal, not a second.
    assert _poll(vendor, django_capture_on_commit_callbacks) == {"not_modified": 1}
    assert Proposal.objects.filter(kind=ProposalKind.IMPACT).count() == 1

    client = Client()
    client.force_login(responder)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/console/proposals/{proposal.public_id}/", {"decision": "publish"})
    assert answer.status_code == 302
    incident = Incident.objects.get()
    assert answer["Location"] == f"/console/incidents/{incident.public_id}/"
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and proposal.incident == incident
    assert {a.component.name: a.status for a in incident.affected.all()} == {
        "Builds": MAJOR,
        "Deploys": MAJOR,
        "Docs search": DEGRADED,
    }
    for component in ours.values():
        component.refresh_from_db()
    assert {c.name: c.status for c in ours.values()} == {
        "Builds": MAJOR,
        "Deploys": MAJOR,
        "Docs search": DEGRADED,
    }
    assert not _pending()  # what publishing changed proposes nothing more

    # Internally, the incident was caused by the vendor's component ...
    assert [c.name for c in incident_causes(incident)] == ["GitHub: API Requests"]
    console = client.get(f"/console/incidents/{incident.public_id}/")
    assert "GitHub: API Requests" in console.content.decode()
    # ... and no public word names the vendor.
    words = incident.name + "".join(u.body for u in incident.updates.all())
    assert "GitHub" not in words and "API Requests" not in words
    public = Client().get(f"/incidents/{incident.public_id}")
    assert public.status_code == 200
    assert "GitHub" not in public.content.decode()


def test_a_vendor_page_answering_500_proposes_nothing(
    peer: VendorPeer, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    vendor, github_api, ours = _graph(peer, admin)
    peer.serve(SUMMARY, b"Internal Server Error", status=500, content_type="text/plain")
    assert _poll(vendor, django_capture_on_commit_callbacks) == {"failed": 1}
    vendor.refresh_from_db()
    assert vendor.state == VendorState.UNKNOWN
    # Unknown is not an outage: ours keeps the last status reported, nothing is proposed.
    github_api.refresh_from_db()
    assert github_api.status == ComponentStatus.OPERATIONAL
    assert not Proposal.objects.exists()
    assert not Incident.objects.exists()
    assert {c.status for c in Component.objects.filter(pk__in=[c.pk for c in ours.values()])} == {
        ComponentStatus.OPERATIONAL
    }
