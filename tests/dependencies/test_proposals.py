"""An upstream's change of status proposes the downstream impact: one proposal per root
cause, published in one click, applied at once where an Admin allowed it, withdrawn when
the cause recovers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from incidents.dependencies.causes import incident_causes, proposal_causes
from incidents.models import (
    AuditAction,
    AuditEvent,
    Component,
    ComponentStatus,
    DependencyKind,
    Incident,
    Proposal,
    ProposalKind,
    ProposalState,
)
from tests.dependencies.conftest import SetStatus, depend
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db

MAJOR, PARTIAL = ComponentStatus.MAJOR_OUTAGE, ComponentStatus.PARTIAL_OUTAGE
DEGRADED, OK = ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.OPERATIONAL


def _pending() -> list[Proposal]:
    return list(Proposal.objects.filter(kind=ProposalKind.IMPACT, state=ProposalState.PENDING))


def _named(proposal: Proposal) -> dict[str, str]:
    names = dict(Component.objects.values_list("public_id", "name"))
    return {names[k]: v for k, v in proposal.components.items()}


def test_a_chain_proposes_every_downstream_component_once(set_status: SetStatus) -> None:
    db, api, web = (ComponentFactory(name=n) for n in ("Database", "API", "Website"))
    depend(api, db)
    depend(web, api)
    set_status(db, MAJOR)
    [proposal] = _pending()
    assert _named(proposal) == {"API": MAJOR, "Website": MAJOR}
    assert [c.name for c in proposal_causes(proposal)] == ["Database"]
    assert proposal.impact == "critical"
    # The approved investigating template, filled in, naming the affected components only.
    assert "API" in proposal.body and "Website" in proposal.body
    assert "Database" not in proposal.body + proposal.name
    assert AuditEvent.objects.filter(action=AuditAction.PROPOSAL_MADE).count() == 1


def test_a_diamond_proposes_the_worst_path(set_status: SetStatus) -> None:
    db, cache, api, web = (ComponentFactory(name=n) for n in ("DB", "Cache", "API", "Web"))
    depend(cache, db, DependencyKind.SOFT)
    depend(api, db, DependencyKind.HARD)
    depend(web, cache, DependencyKind.HARD)
    depend(web, api, DependencyKind.HARD)
    set_status(db, PARTIAL)
    [proposal] = _pending()
    assert _named(proposal) == {"Cache": DEGRADED, "API": PARTIAL, "Web": PARTIAL}


def test_a_component_already_as_bad_is_not_proposed(set_status: SetStatus) -> None:
    db, api, web = (ComponentFactory(name=n) for n in ("DB", "API", "Web"))
    depend(api, db, DependencyKind.SOFT)
    depend(web, db, DependencyKind.SOFT)
    set_status(web, MAJOR)  # down on its own, worse than a soft edge would make it
    set_status(db, MAJOR)
    [proposal] = _pending()
    assert _named(proposal) == {"API": DEGRADED}


def test_a_storm_of_upstream_outages_makes_one_proposal_that_grows(set_status: SetStatus) -> None:
    vendors = [ComponentFactory(name=f"Vendor {i:02}") for i in range(50)]
    apps = [ComponentFactory(name=f"App {i:02}") for i in range(50)]
    for vendor, app in zip(vendors, apps, strict=True):
        depend(app, vendor)
    for vendor in vendors:
        set_status(vendor, MAJOR)
    [proposal] = _pending()
    assert _named(proposal) == {app.name: MAJOR for app in apps}
    assert len(proposal_causes(proposal)) == 50
    assert Proposal.objects.filter(kind=ProposalKind.IMPACT).count() == 1


def test_a_cascade_joins_the_proposal_of_its_root_cause(set_status: SetStatus) -> None:
    db, api, web = (ComponentFactory(name=n) for n in ("DB", "API", "Web"))
    depend(api, db)
    depend(web, api)
    set_status(db, MAJOR)
    set_status(api, MAJOR)  # the monitor of API confirms what DB caused
    [proposal] = _pending()
    assert _named(proposal) == {"Web": MAJOR}
    assert [c.name for c in proposal_causes(proposal)] == ["DB"]


@pytest.mark.wording  # the production policy: the words must promise the next update
def test_one_click_publishes_the_incident_with_every_status(
    set_status: SetStatus, responder: Any, django_capture_on_commit_callbacks: Any
) -> None:
    db, api, web = (ComponentFactory(name=n) for n in ("Database", "API", "Website"))
    depend(api, db)
    depend(web, api, DependencyKind.SOFT)
    set_status(db, MAJOR)
    [proposal] = _pending()
    client = Client()
    client.force_login(responder)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/console/proposals/{proposal.public_id}/", {"decision": "publish"})
    assert answer.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and proposal.decided_by == "rita"
    incident = Incident.objects.get()
    assert answer["Location"] == f"/console/incidents/{incident.public_id}/"
    assert {a.component.name: a.status for a in incident.affected.all()} == {
        "API": MAJOR,
        "Website": DEGRADED,
    }
    api.refresh_from_db()
    web.refresh_from_db()
    assert (api.status, web.status) == (MAJOR, DEGRADED)
    assert [c.name for c in incident_causes(incident)] == ["Database"]
    words = incident.name + "".join(u.body for u in incident.updates.all())
    assert "Database" not in words  # the cause stays internal
    # Publishing changed API and Website: their propagation finds nothing new to propose.
    assert not _pending()


def test_auto_apply_edges_open_the_incident_at_once(set_status: SetStatus) -> None:
    db, api, web = (ComponentFactory(name=n) for n in ("DB", "API", "Web"))
    depend(api, db, auto_apply=True)
    depend(web, db)
    set_status(db, MAJOR)
    incident = Incident.objects.get()
    assert {a.component.name: a.status for a in incident.affected.all()} == {"API": MAJOR}
    assert [c.name for c in incident_causes(incident)] == ["DB"]
    [proposal] = _pending()  # Web's edge is not auto-apply: a responder decides it
    assert _named(proposal) == {"Web": MAJOR}
    assert proposal.incident == incident


def test_everything_auto_applied_leaves_no_pending_proposal(set_status: SetStatus) -> None:
    db, api = ComponentFactory(name="DB"), ComponentFactory(name="API")
    depend(api, db, auto_apply=True)
    set_status(db, PARTIAL)
    assert not _pending()
    proposal = Proposal.objects.get(kind=ProposalKind.IMPACT)
    assert proposal.state == ProposalState.ACCEPTED and "auto-apply" in proposal.decided_by
    api.refresh_from_db()
    assert api.status == PARTIAL


def test_recovery_withdraws_the_unpublished_proposal(set_status: SetStatus) -> None:
    db, api = ComponentFactory(name="DB"), ComponentFactory(name="API")
    depend(api, db)
    set_status(db, MAJOR)
    [proposal] = _pending()
    set_status(db, OK)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.WITHDRAWN
    assert proposal.decided_by == "the cause recovered"
    assert AuditEvent.objects.filter(action=AuditAction.PROPOSAL_WITHDRAWN).count() == 1


def test_recovery_of_one_cause_of_a_storm_shrinks_the_proposal(set_status: SetStatus) -> None:
    a, b = ComponentFactory(name="Vendor A"), ComponentFactory(name="Vendor B")
    x, y = ComponentFactory(name="X"), ComponentFactory(name="Y")
    depend(x, a)
    depend(y, b)
    set_status(a, MAJOR)
    set_status(b, MAJOR)
    set_status(a, OK)
    [proposal] = _pending()
    assert _named(proposal) == {"Y": MAJOR}


def test_new_impact_of_a_published_cause_grows_its_incident(
    set_status: SetStatus, responder: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from incidents.audit import Actor
    from incidents.ingest import automation

    db, api, web = (ComponentFactory(name=n) for n in ("DB", "API", "Web"))
    depend(api, db)
    set_status(db, PARTIAL)
    [first] = _pending()
    rita = Actor.staff(responder, channel="console")
    with django_capture_on_commit_callbacks(execute=True):
        automation.proposal_accept(actor=rita, proposal=first)
    depend(web, db)  # learned during the incident: Web depends on DB too
    set_status(db, MAJOR)
    [second] = _pending()
    assert _named(second) == {"API": MAJOR, "Web": MAJOR}
    with django_capture_on_commit_callbacks(execute=True):
        automation.proposal_accept(actor=rita, proposal=second)
    incident = Incident.objects.get()  # grown, not a second incident
    assert {a.component.name: a.status for a in incident.affected.all()} == {
        "API": MAJOR,
        "Web": MAJOR,
    }


def test_an_outage_with_no_downstream_does_not_join_a_storm(set_status: SetStatus) -> None:
    db, api = ComponentFactory(name="DB"), ComponentFactory(name="API")
    leaf = ComponentFactory(name="Status widget")
    depend(api, db)
    set_status(db, MAJOR)
    set_status(leaf, MAJOR)  # nothing depends on it: nothing to propose
    [proposal] = _pending()
    assert [c.name for c in proposal_causes(proposal)] == ["DB"]
