"""The out-of-band CLI and reconciliation under `make run` (SQLite, no Redis): the mirror
is the one target, and the app that comes back records the update once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from incidents.models import IncidentStatus, OutOfBandUpdate
from incidents.publish.oob_reconcile import reconcile
from tests.publish.test_out_of_band import (
    component_in,
    mirror_file,
    post_monitoring,
    post_resolved,
    site_build,
)

pytestmark = pytest.mark.embedded


def test_posted_out_of_band_and_reconciled_once_on_sqlite(
    settings: Any, tmp_path: Path, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    site = site_build(settings, tmp_path, None, "", responder, django_capture_on_commit_callbacks)
    done = post_monitoring(site)
    assert done.returncode == 0, done.stderr
    page = f"incidents/{site.incident.public_id}.html"
    assert "A fix has been applied" in mirror_file(site, page).decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reconcile().recorded) == 1
        assert reconcile().recorded == []
    assert OutOfBandUpdate.objects.count() == 1
    site.incident.refresh_from_db()
    assert site.incident.status == IncidentStatus.MONITORING
    assert "A fix has been applied" in mirror_file(site, page).decode()


def test_resolved_out_of_band_on_sqlite_frees_the_component_once(
    settings: Any, tmp_path: Path, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    site = site_build(settings, tmp_path, None, "", responder, django_capture_on_commit_callbacks)
    checkout = site.incident.components.get()
    done = post_resolved(site)
    assert done.returncode == 0, done.stderr
    status = json.loads(mirror_file(site, "api/v2/status.json"))["status"]
    assert status["indicator"] == "none"
    components = json.loads(mirror_file(site, "api/v2/components.json"))
    assert component_in(components, checkout.public_id)["status"] == "operational"
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reconcile().recorded) == 1
    checkout.refresh_from_db()
    assert checkout.status == "operational"
    assert json.loads(mirror_file(site, "api/v2/status.json"))["status"] == status
