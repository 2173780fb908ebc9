from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from incidents.models import Component, ComponentGroup
from tests.factories import ComponentFactory, GroupFactory


@pytest.fixture
def console(responder: User) -> Client:
    """A browser session signed in as Rita."""
    client = Client()
    client.force_login(responder)
    return client


@pytest.fixture
def outsider(db: None) -> User:
    """Otto has an account (a subscriber, say) but no staff access."""
    return User.objects.create_user("otto", "otto@example.com", "correct-horse-battery")


@pytest.fixture
def core(db: None) -> ComponentGroup:
    return GroupFactory(name="Core")


@pytest.fixture
def api(core: ComponentGroup) -> Component:
    return ComponentFactory(name="API", group=core)


@pytest.fixture
def dashboard(core: ComponentGroup) -> Component:
    return ComponentFactory(name="Dashboard", group=core)
