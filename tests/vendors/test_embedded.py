"""Under `make run` (SQLite, no Redis) vendors poll too: the beat task of the embedded
worker fetches in threads that never touch the database, and records on the worker's own
connection."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from incidents.audit import Actor
from incidents.models import ComponentStatus
from incidents.tasks import vendors_poll
from incidents.vendors import service
from tests.vendors.conftest import summary_bytes
from tests.vendors.peers import VendorPeer

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

API = "brv1bkgrwx7q"


def test_the_beat_task_polls_and_moves_a_picked_component(
    vendor_peer: VendorPeer, admin: User
) -> None:
    actor = Actor.staff(admin, channel="console")
    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    vendor = service.vendor_add(actor=actor, url=vendor_peer.url("/"))
    (api,) = service.vendor_components_pick(actor=actor, vendor=vendor, external_ids=[API])
    vendor_peer.serve("/api/v2/summary.json", summary_bytes(**{API: "major_outage"}))

    assert vendors_poll() == {"changed": 1}  # added just now: due at once

    api.refresh_from_db()
    assert api.status == ComponentStatus.MAJOR_OUTAGE
