"""Signing the notices before a render (incidents/publish/notices.py): after one reading of
every notice, a process reads only those of what changed since; whatever it cannot tell
makes it read every one again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import lifecycle, signing
from incidents.audit import Actor
from incidents.models import Incident, SignedNotice, SiteChange
from incidents.publish import notices
from incidents.publish.changes import site_changes_prune
from incidents.publish.notices import notices_forget, notices_sign_changed
from incidents.publish.versions import site_version
from tests.factories import promised

pytestmark = pytest.mark.embedded

ACTOR = Actor.system("test")


def _open(name: str) -> Incident:
    return lifecycle.incident_open(
        actor=ACTOR, name=name, body=promised("Investigating."), impact="minor"
    )


def _post(incident: Incident, words: str) -> None:
    lifecycle.update_post(actor=ACTOR, incident=incident, body=promised(words), status="identified")


def _signed_for(incident: Incident) -> int:
    return SignedNotice.objects.filter(subject_id=incident.public_id).count()


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each call asked the signer to read: {} for every notice."""
    seen: list[dict[str, Any]] = []
    real = signing.notices_sign_pending

    def recording(**only: Any) -> int:
        seen.append(only)
        return real(**only)

    monkeypatch.setattr(signing, "notices_sign_pending", recording)
    return seen


def test_after_one_whole_reading_only_what_changed_is_read(
    db: None, readings: list[dict[str, Any]]
) -> None:
    payments, search = _open("Payments"), _open("Search")
    assert notices_sign_changed() == 2  # the first call reads every notice
    assert readings == [{}]
    # Search's notice gone behind the publisher's back (no change names Search): a
    # reading of what changed does not see it, so it is not signed again...
    SignedNotice.objects.filter(subject_id=search.public_id).delete()
    _post(payments, "The cause is found.")
    assert notices_sign_changed() == 1  # Payments' new update alone
    assert readings[-1] == {"incidents": {payments.public_id}, "maintenance": set()}
    assert (_signed_for(payments), _signed_for(search)) == (2, 0)
    assert notices_sign_changed() == 0  # nothing changed: nothing read
    # ... and a whole reading does.
    notices_forget()
    assert notices_sign_changed() == 1
    assert _signed_for(search) == 1


def test_a_maintenance_update_is_signed_by_the_next_reading(
    db: None, readings: list[dict[str, Any]]
) -> None:
    _open("Payments")
    notices_sign_changed()
    now = timezone.now()
    window = lifecycle.maintenance_schedule(
        actor=ACTOR,
        name="Database upgrade",
        body="Upgrading.",
        scheduled_for=now - timedelta(minutes=1),
        scheduled_until=now + timedelta(hours=1),
        auto_start=False,
        auto_complete=False,
    )
    lifecycle.maintenance_update_post(
        actor=ACTOR, maintenance=window, body="Started.", status="in_progress"
    )
    assert notices_sign_changed() == 2
    assert readings[-1] == {"incidents": set(), "maintenance": {window.public_id}}
    assert SignedNotice.objects.filter(subject_id=window.public_id).count() == 2


@pytest.mark.parametrize("lost", ["a version's record pruned", "another database"])
def test_what_it_cannot_tell_makes_it_read_every_notice(
    db: None, readings: list[dict[str, Any]], lost: str
) -> None:
    payments = _open("Payments")
    notices_sign_changed()
    _post(payments, "The cause is found.")
    if lost == "a version's record pruned":
        site_changes_prune(below=site_version())
    else:  # a restored backup, a test's database: the version signed has another stamp
        SiteChange.objects.all().update(at=timezone.now() - timedelta(days=1))
    assert notices_sign_changed() == 1
    assert readings[-1] == {}


def test_a_change_that_does_not_say_what_it_touched_makes_it_read_every_notice(
    db: None, readings: list[dict[str, Any]]
) -> None:
    _open("Payments")
    notices_sign_changed()
    lifecycle.public_change()  # scope unsaid: everything
    notices_sign_changed()
    assert readings[-1] == {}


def test_without_a_key_the_notices_stay_pending_and_are_all_read_again(
    db: None, readings: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    payments = _open("Payments")
    notices_sign_changed()
    _post(payments, "The cause is found.")

    def no_key() -> Any:
        raise signing.SigningUnavailable("no signing key")

    with monkeypatch.context() as patched:
        patched.setattr(signing, "current_signer", no_key)
        assert notices_sign_changed() == 0  # logged; the render goes on
    assert notices._signed_up_to is None
    assert notices_sign_changed() == 1  # the key is back: read whole, signed
    assert readings[-1] == {}
    assert _signed_for(payments) == 2


def test_a_reading_of_what_changed_costs_the_same_queries_whatever_changed(db: None) -> None:
    _open("Payments")
    notices_sign_changed()
    counts = []
    for changed in (1, 5):
        for n in range(changed):
            _open(f"Incident {changed}-{n}")
        with CaptureQueriesContext(connection) as captured:
            assert notices_sign_changed() == changed
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_many_changes_at_once_are_read_as_every_notice(
    db: None, readings: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notices, "MOST_BY_ID", 1)
    _open("Payments")
    notices_sign_changed()
    _open("Search")
    _open("Login")
    assert notices_sign_changed() == 2
    assert readings[-1] == {}
