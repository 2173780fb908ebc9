"""Schema-driven fuzzing of the staff API (issue 13): whatever schemathesis makes of the
OpenAPI document that /api/schema/ serves, valid and invalid, sent in-process as an Admin,
answers no 5xx and only responses the document describes. Bounded by examples per
operation, so the whole run takes a minute or two."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from incidents import lifecycle
from incidents.audit import Actor
from incidents.dependencies import graph
from incidents.ingest import sources
from incidents.models import Incident, Phase, Subscriber
from incidents.vendors.fetch import FetchError
from incidents.wording import approvals
from statuspage.wsgi import application
from tests.factories import ComponentFactory, GroupFactory, with_promise

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 20

# The document the view serves, generated the same way; loaded at collection so that each
# operation and mode is a test of its own. (schemathesis' lazy `from_fixture` loader does
# not run under pytest 9.)
SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = application
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Invalid requests can be made only where there is input with a type or bounds to break.
CASES = [(op.label, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (op.label, GenerationMode.NEGATIVE) for op in OPERATIONS if op.body or op.query
]


@pytest.fixture
def real_ids(payments: Incident, responder: User) -> dict[str, str]:
    """One of each resource, so that generated requests reach more than a 404."""
    component = ComponentFactory()
    GroupFactory()
    window = lifecycle.maintenance_schedule(
        actor=Actor.system("fuzz"), name="Database upgrade", body="Upgrading.",
        scheduled_for=timezone.now() + timedelta(hours=1),
        scheduled_until=timezone.now() + timedelta(hours=2), components=[component],
    )  # fmt: skip
    custom = approvals.custom_text_request(
        actor=Actor.staff(responder, channel="api", ip="127.0.0.1"),
        body=with_promise("Custom words."),
        phase=Phase.INVESTIGATING,
    )
    edge = graph.dependency_add(
        actor=Actor.system("fuzz"), upstream=ComponentFactory(), downstream=component, kind="hard"
    )
    source, _token = sources.source_create(
        actor=Actor.system("fuzz"), name="prom", format="alertmanager"
    )
    sources.rule_add(actor=Actor.system("fuzz"), source=source, kind="service")
    subscriber = Subscriber.objects.create(
        channel="email", destination="fuzz@example.com", created_at=timezone.now()
    )
    return {
        "/api/staff/sources/": source.name,
        "/api/staff/subscribers/": subscriber.public_id,
        "/api/staff/dependencies/": edge.public_id,
        "/api/staff/incidents/": payments.public_id,
        "/api/staff/components/": component.public_id,
        "/api/staff/maintenances/": window.public_id,
        "/api/staff/custom-texts/": custom.public_id,
    }


@pytest.fixture(autouse=True)
def _vendors_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated vendor URLs name real hosts and public addresses: nothing may reach them,
    so the network boundary of vendor fetches refuses, as an unreachable page does."""

    def offline(*args: Any, **kwargs: Any) -> Any:
        raise FetchError("unreachable (network off while fuzzing)")

    monkeypatch.setattr("incidents.vendors.probe.fetch", offline)
    monkeypatch.setattr("incidents.vendors.poll.fetch", offline)


@pytest.fixture
def admin_headers(admin: User) -> Iterator[dict[str, str]]:
    # Requests run in this thread, inside the test's transaction: the end of one must not
    # close the connection, as Django's own test client arranges for its requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Token {Token.objects.create(user=admin).key}"}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_every_generated_request_is_answered_within_the_schema(
    label: str, mode: GenerationMode, admin_headers: dict[str, str], real_ids: dict[str, str]
) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def fuzz(case: Any, real: bool) -> None:
        # Resources are named by public id, monitor sources by name.
        key = next((k for k in ("public_id", "name") if k in (case.path_parameters or {})), None)
        if real and key:
            prefix = next((p for p in real_ids if case.path.startswith(p)), None)
            if prefix:
                case.path_parameters[key] = real_ids[prefix]
        case.call_and_validate(
            headers=admin_headers, checks=[not_a_server_error, response_schema_conformance]
        )

    fuzz()


def test_every_staff_operation_is_fuzzed() -> None:
    labels = [op.label for op in OPERATIONS]
    assert len(labels) >= 25, labels
    assert "POST /api/staff/incidents/" in labels
