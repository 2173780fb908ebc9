from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.audit import Actor
from incidents.public import cache as public_cache


def _clear_our_cache_keys() -> None:
    """Delete this run's keys only: FLUSHDB would wipe a concurrent run's cache too."""
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_public_cache() -> Iterator[None]:
    """Each test starts with none of this run's cache keys and no per-process renderings."""
    _clear_our_cache_keys()
    public_cache.reset()
    yield
    public_cache.reset()


@pytest.fixture
def responder(db: None) -> User:
    """Rita, a staff responder who opens incidents and posts updates."""
    return User.objects.create_user(
        "rita", "rita@example.com", "correct-horse-battery", is_staff=True
    )


@pytest.fixture
def actor(responder: User) -> Actor:
    return Actor.staff(responder, channel="console", ip="127.0.0.1")


@pytest.fixture
def staff_api(responder: User) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=responder)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
