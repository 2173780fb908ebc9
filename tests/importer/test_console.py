"""The console's import page: an Admin starts an import, it runs as a background task, and
the page shows its progress and report."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from incidents.audit import Actor
from incidents.importer import run
from incidents.models import ImportRun, Incident
from tests.importer.peer import API_KEY, PAGE_ID, StatuspagePeer

pytestmark = pytest.mark.django_db


def _form(peer: StatuspagePeer, **changes: str) -> dict[str, str]:
    return {
        "page_id": PAGE_ID, "api_key": API_KEY, "base_url": peer.base_url,
        "submission_key": str(uuid.uuid4()), **changes,
    }  # fmt: skip


@pytest.mark.embedded
def test_an_admin_imports_a_page_from_the_console(
    client: Client,
    admin: User,
    small_peer: StatuspagePeer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("console:imports"), _form(small_peer))

    assert started.status_code == 302
    done = ImportRun.objects.get()
    assert started["Location"] == reverse("console:import_detail", args=[done.public_id])
    assert done.state == "done" and not done.api_key
    assert Incident.objects.filter(imported=True).exists()
    page = client.get(started["Location"]).content.decode()
    assert "Done" in page and "incident" in page and API_KEY not in page
    listing = client.get(reverse("console:imports")).content.decode()
    assert done.public_id in listing and API_KEY not in listing


def test_a_failed_import_says_how_to_resume(
    client: Client,
    admin: User,
    small_peer: StatuspagePeer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("console:imports"), _form(small_peer, api_key="wrong"))
    page = client.get(started["Location"]).content.decode()
    assert "refused the API key (401)" in page and "to resume" in page


def test_only_an_admin_may_start_an_import(
    client: Client, responder: User, small_peer: StatuspagePeer
) -> None:
    client.force_login(responder)
    assert client.get(reverse("console:imports")).status_code == 200
    assert client.post(reverse("console:imports"), _form(small_peer)).status_code == 403
    assert not ImportRun.objects.exists()


def test_a_bad_page_id_or_key_is_refused_at_the_form(client: Client, admin: User) -> None:
    client.force_login(admin)
    url = reverse("console:imports")
    for changes in ({"page_id": "../../etc"}, {"api_key": "a\x1bb"}, {"base_url": "ftp://x"}):
        data = {"page_id": PAGE_ID, "api_key": "k", "base_url": "https://api.statuspage.io/v1"}
        assert client.post(url, data | changes).status_code == 400, changes
    assert not ImportRun.objects.exists()


def test_without_a_worker_the_import_runs_in_a_thread_of_its_own(
    small_peer: StatuspagePeer, transactional_db: None
) -> None:
    started = run.import_start(
        actor=Actor.system("test"), page_id=PAGE_ID, api_key=API_KEY, base_url=small_peer.base_url
    )
    run.import_in_background(started.public_id)
    thread = next(t for t in threading.enumerate() if t.name == f"import-{started.public_id}")
    thread.join(timeout=600)

    started.refresh_from_db()
    assert started.state == "done", started.error
    assert Incident.objects.filter(imported=True).exists()
