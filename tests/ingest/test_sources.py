"""Deleting a monitor source: its token stops working, its state goes, history stays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from incidents import roles
from incidents.audit import Actor
from incidents.ingest import automation, sources
from incidents.models import (
    AuditEvent,
    Component,
    ComponentSignalState,
    ComponentStatus,
    Proposal,
    ProposalState,
    RoutingRule,
    Signal,
    Source,
    SourceFormat,
)
from tests.conftest import staff_user
from tests.factories import ComponentFactory
from tests.ingest.conftest import Sender

pytestmark = pytest.mark.django_db

DOWN = {"component": "API", "status": "major_outage", "summary": "Health check failing"}


@pytest.fixture
def api() -> Component:
    return ComponentFactory(name="API")


@pytest.fixture
def ada(admin: User) -> Actor:
    return Actor.staff(admin, channel="console")


@pytest.fixture
def down(make_sender: Callable[..., Sender], api: Component) -> Sender:
    """A script that has set the API's status and proposed an incident, and still fires."""
    sender = make_sender(name="checks", format=SourceFormat.GENERIC, can_set_status=True)
    sources.rule_add(actor=Actor.system("t"), source=sender.source, kind="service")
    assert sender.post(DOWN).status_code == 202  # this process now has the source cached
    automation.signals_route()
    api.refresh_from_db()
    assert api.status == ComponentStatus.MAJOR_OUTAGE
    assert Proposal.objects.get().state == ProposalState.PENDING
    return sender


def _delete(source: Source, actor: Actor, capture: Any) -> None:
    with capture(execute=True):
        sources.source_delete(actor=actor, source=source)


def test_a_deleted_source_s_token_is_refused_at_once(
    down: Sender, ada: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    _delete(down.source, ada, django_capture_on_commit_callbacks)

    answer = down.post(DOWN)

    assert answer.status_code == 404
    assert answer.json() == {"detail": "No monitor source named 'checks'."}
    assert not Signal.objects.exists()


def test_deleting_takes_its_rules_and_signals_and_keeps_proposals_and_the_audit_log(
    down: Sender, ada: Actor, api: Component, django_capture_on_commit_callbacks: Any
) -> None:
    source_id = str(down.source.pk)

    _delete(down.source, ada, django_capture_on_commit_callbacks)

    assert not Source.objects.exists()
    assert not RoutingRule.objects.exists() and not Signal.objects.exists()
    proposal = Proposal.objects.get()
    assert (proposal.state, proposal.source) == (ProposalState.PENDING, None)
    *before, deleted = AuditEvent.objects.filter(target_id=source_id).order_by("at", "pk")
    assert [e.action for e in before] == ["source.saved", "source.rule_added"]
    assert (deleted.action, deleted.actor_label) == ("source.deleted", "ada")
    assert deleted.data["signals"] == deleted.data["firing"] == 1
    assert (deleted.data["rules"], deleted.data["pending_proposals"]) == (1, 1)
    assert deleted.data["can_set_status"] is True


def test_what_its_signals_held_recovers_but_the_status_it_set_stays(
    down: Sender, ada: Actor, api: Component, django_capture_on_commit_callbacks: Any
) -> None:
    _delete(down.source, ada, django_capture_on_commit_callbacks)

    automation.components_sweep()

    state = ComponentSignalState.objects.get(component=api)
    assert state.status == ComponentStatus.OPERATIONAL
    assert Proposal.objects.get().state == ProposalState.WITHDRAWN
    api.refresh_from_db()
    assert api.status == ComponentStatus.MAJOR_OUTAGE  # a responder decides the page


def test_its_name_is_free_again(down: Sender, ada: Actor, make_sender: Any) -> None:
    sources.source_delete(actor=ada, source=down.source)

    again = make_sender(name="checks", format=SourceFormat.GENERIC)

    assert again.post(DOWN).status_code == 202


def test_only_an_admin_deletes_a_source(down: Sender) -> None:
    for role in (roles.RESPONDER, roles.COMMUNICATOR, roles.APPROVER_LEGAL):
        user = staff_user(f"someone-{role[:4].lower()}", role)
        with pytest.raises(PermissionError):
            sources.source_delete(actor=Actor.staff(user, channel="api"), source=down.source)
    assert Source.objects.filter(pk=down.source.pk).exists()
