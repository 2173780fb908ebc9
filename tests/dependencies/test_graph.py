"""Editing the graph: audited writes, cycles refused (also between two concurrent edits)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from incidents.audit import Actor
from incidents.dependencies import graph
from incidents.models import AuditAction, AuditEvent, ComponentDependency, DependencyKind
from tests.conftest import staff_user
from tests.dependencies.conftest import SYSTEM, depend
from tests.factories import ComponentFactory


@pytest.mark.django_db
def test_an_edge_is_recorded_and_audited() -> None:
    db, api = ComponentFactory(name="Database"), ComponentFactory(name="API")
    edge = depend(api, db, DependencyKind.SOFT)
    assert (edge.upstream, edge.downstream, edge.kind) == (db, api, "soft")
    event = AuditEvent.objects.get(action=AuditAction.DEPENDENCY_ADDED)
    assert event.target_id == edge.public_id and "'API' depends on 'Database'" in event.summary
    graph.dependency_edit(actor=SYSTEM, dependency=edge, kind="hard", auto_apply=True)
    graph.dependency_remove(actor=SYSTEM, dependency=edge)
    assert not ComponentDependency.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="dependency.").count() == 3


@pytest.mark.django_db
def test_a_cycle_is_refused_with_the_cycle_named() -> None:
    a, b, c = (ComponentFactory(name=n) for n in ("Auth", "Billing", "Cache"))
    depend(b, a)  # Billing depends on Auth
    depend(c, b)  # Cache depends on Billing
    with pytest.raises(ValidationError) as refused:
        depend(a, c)  # Auth depends on Cache: Auth → Cache → Billing → Auth
    message = refused.value.message_dict["upstream"][0]
    assert message == (
        "This would make a cycle: Auth depends on Cache depends on Billing depends on Auth."
    )
    with pytest.raises(ValidationError, match="itself"):
        depend(a, a)
    with pytest.raises(ValidationError, match="already depends"):
        depend(b, a)
    assert ComponentDependency.objects.count() == 2


@pytest.mark.django_db
def test_a_bad_kind_is_refused() -> None:
    a, b = ComponentFactory(), ComponentFactory()
    with pytest.raises(ValidationError) as refused:
        depend(b, a, kind="sometimes\u202e")
    assert "kind" in refused.value.message_dict


@pytest.mark.django_db
def test_only_an_admin_may_mark_an_edge_auto_apply(responder: object, admin: object) -> None:
    a, b = ComponentFactory(), ComponentFactory()
    rita = Actor.staff(staff_user("rita2", "Responder"), channel="api")
    with pytest.raises(PermissionError):
        graph.dependency_add(actor=rita, upstream=a, downstream=b, kind="hard", auto_apply=True)
    edge = graph.dependency_add(actor=rita, upstream=a, downstream=b, kind="hard")
    with pytest.raises(PermissionError):
        graph.dependency_edit(actor=rita, dependency=edge, kind="hard", auto_apply=True)
    ada = Actor.staff(staff_user("ada2", "Admin"), channel="api")
    assert graph.dependency_edit(
        actor=ada, dependency=edge, kind="hard", auto_apply=True
    ).auto_apply


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_edits_cannot_make_a_cycle() -> None:
    """The first edit holds the graph lock until it commits: the second waits, then sees
    the first edge and refuses the cycle (without the lock both checks would pass)."""
    a, b = ComponentFactory(name="A"), ComponentFactory(name="B")
    first_inside, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                depend(b, a)
                first_inside.set()
                release.wait(10)
        finally:
            connection.close()

    def second() -> None:
        first_inside.wait(10)
        try:
            depend(a, b)
            outcome["second"] = "added"
        except ValidationError as refusal:
            outcome["second"] = refusal.message_dict["upstream"][0]
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    threads[1].join(1.0)
    assert threads[1].is_alive(), "the second edit must wait for the first"
    release.set()
    for t in threads:
        t.join(10)
    assert outcome["second"] == "This would make a cycle: A depends on B depends on A."
    assert ComponentDependency.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_storm_from_concurrent_workers_is_still_one_proposal() -> None:
    """Eight threads, each its own connection, take eight vendors down at once; the
    propagation each commit runs (eagerly, in that thread) groups under the lock."""
    from concurrent.futures import ThreadPoolExecutor

    from incidents import lifecycle
    from incidents.models import Proposal, ProposalKind

    vendors = [ComponentFactory(name=f"Vendor {i}") for i in range(8)]
    for i, vendor in enumerate(vendors):
        depend(ComponentFactory(name=f"App {i}"), vendor)
    barrier = threading.Barrier(8)

    def down(vendor: object) -> None:
        try:
            barrier.wait(10)
            lifecycle.component_status_set(actor=SYSTEM, component=vendor, status="major_outage")
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(down, vendors))
    [proposal] = Proposal.objects.filter(kind=ProposalKind.IMPACT)
    assert len(proposal.components) == 8
