from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from incidents import lifecycle
from incidents.audit import Actor
from incidents.dependencies import graph
from incidents.models import Component, ComponentDependency, DependencyKind

SYSTEM = Actor.system("test-admin")


def depend(
    downstream: Component, upstream: Component, kind: str = DependencyKind.HARD, **kw: Any
) -> ComponentDependency:
    return graph.dependency_add(
        actor=SYSTEM, upstream=upstream, downstream=downstream, kind=kind, **kw
    )


SetStatus = Callable[[Component, str], None]


@pytest.fixture
def set_status(django_capture_on_commit_callbacks: Any) -> Iterator[SetStatus]:
    """Set a component's status as a monitor or a responder would, running what the
    commit queues (the propagation task, eagerly)."""

    def set_(component: Component, status: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.component_status_set(actor=SYSTEM, component=component, status=status)

    yield set_
