from __future__ import annotations

from dataclasses import dataclass

import pytest

from incidents.models import Component, ComponentGroup
from tests.factories import ComponentFactory, GroupFactory


@dataclass
class Layout:
    core: ComponentGroup
    web: Component
    api: Component
    webhooks: Component


@pytest.fixture
def layout(db: None) -> Layout:
    """A small page: the 'Core platform' group with two components, and one on its own."""
    core = GroupFactory(name="Core platform", position=1)
    return Layout(
        core=core,
        web=ComponentFactory(name="Web application", group=core, position=1),
        api=ComponentFactory(name="Public API", group=core, position=2,
                             description="REST endpoints for integrations"),
        webhooks=ComponentFactory(name="Webhooks", position=5),
    )  # fmt: skip
