"""Audit actions are checked in code (AuditAction), not by the column: an unknown action is
refused, and a new action needs no migration."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.audit import Actor, audit_record
from incidents.models import AuditAction, AuditEvent, Component

pytestmark = pytest.mark.django_db


def _event(action: str) -> AuditEvent:
    return AuditEvent(
        at=timezone.now(), actor_label="rita", channel="console", action=action,
        target_type="component", target_id="1", summary="x",
    )  # fmt: skip


def test_an_unknown_action_is_refused_on_every_way_in() -> None:
    component = Component.objects.create(name="API")
    with pytest.raises(ValueError, match=r"unknown audit action 'incident\.deleted'"):
        audit_record(
            actor=Actor.system("test"), action="incident.deleted",  # type: ignore[arg-type]
            target=component, summary="no", at=timezone.now(),
        )  # fmt: skip
    with pytest.raises(ValueError, match="unknown audit action"):
        _event("").save()
    with pytest.raises(ValueError, match="unknown audit action"):
        AuditEvent.objects.bulk_create([_event(AuditAction.BRANDING_SET), _event("nope")])
    assert not AuditEvent.objects.exists()


def test_every_known_action_is_stored_and_shown_in_words() -> None:
    AuditEvent.objects.bulk_create([_event(action) for action in AuditAction.values])
    stored = {e.action: e.action_label for e in AuditEvent.objects.all()}
    assert stored == {a.value: str(a.label) for a in AuditAction}


def test_an_action_since_removed_from_the_enum_still_shows() -> None:
    assert _event("legacy.thing").action_label == "legacy.thing"


def test_every_action_fits_the_column() -> None:
    column = AuditEvent._meta.get_field("action").max_length
    assert column is not None
    assert max(len(value) for value in AuditAction.values) <= column


def test_a_new_action_needs_no_migration() -> None:
    """The field carries no choices, so the model's state does not depend on the enum."""
    assert not AuditEvent._meta.get_field("action").choices
    out = StringIO()
    call_command("makemigrations", "incidents", check=True, dry_run=True, stdout=out)
