"""The real Prometheus Alertmanager through a maintenance window: alerts during it open
nothing; an alert still firing when it ends proposes an incident within one evaluation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Component, ComponentStatus, Proposal, Signal
from tests.factories import ComponentFactory
from tests.ingest.test_alertmanager import (  # noqa: F401  (fixtures used by name)
    Alertmanager,
    _alert,
    _statuses,
    _wait_for,
    alertmanager,
    pytestmark,
    source,
)

ACTOR = Actor.system("test")


def _with_service(alert: dict[str, Any], service: str) -> dict[str, Any]:
    return {**alert, "labels": {**alert["labels"], "service": service}}


def test_alerts_during_a_window_open_nothing_and_one_outliving_it_is_proposed(
    alertmanager: Alertmanager,  # noqa: F811
) -> None:
    database: Component = ComponentFactory(name="Database")
    web: Component = ComponentFactory(name="Web")
    now = timezone.now()
    maintenance = lifecycle.maintenance_schedule(
        actor=ACTOR,
        name="Database upgrade",
        body="Upgrading PostgreSQL.",
        scheduled_for=now,
        scheduled_until=now + timedelta(hours=1),
        components=[database],
        auto_complete=False,
    )
    lifecycle.maintenance_update_post(
        actor=ACTOR, maintenance=maintenance, body="Starting.", status="in_progress"
    )

    alertmanager.push(_alert("db-1"), _alert("db-2"), _with_service(_alert("web-1"), "Web"))
    _wait_for(lambda: len(_statuses()) == 3, "three alerts stored")
    _wait_for(lambda: Signal.objects.filter(routed_at__isnull=False).count() == 3, "three routed")
    # Web, outside the window, is proposed as usual; Database is not.
    _wait_for(Proposal.objects.exists, "the proposal for Web")
    assert Proposal.objects.get().components == {web.public_id: "major_outage"}
    during = dict(Signal.objects.values_list("labels__instance", "during_maintenance"))
    assert during == {"db-1": "record", "db-2": "record", "web-1": ""}

    # db-2 recovers during the window; db-1 is still firing when it ends.
    past = timezone.now() - timedelta(seconds=1)
    alertmanager.push(_alert("db-2", ends=past))
    _wait_for(lambda: _statuses()["db-2"] == "resolved", "db-2 resolved")
    assert Proposal.objects.get().components == {web.public_id: "major_outage"}
    database.refresh_from_db()
    assert database.status == ComponentStatus.UNDER_MAINTENANCE

    # The completion queues one evaluation of Database; no new alert, no sweep needed.
    lifecycle.maintenance_update_post(
        actor=ACTOR, maintenance=maintenance, body="Done.", status="completed"
    )
    assert Proposal.objects.get().components == {
        web.public_id: "major_outage",
        database.public_id: "major_outage",
    }


assert pytestmark  # the skip when Alertmanager is missing, and a transactional database
