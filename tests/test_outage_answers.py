"""While PostgreSQL or Redis is out of reach, a request answers 503 with Retry-After, not
500: JSON under /api/, a short page elsewhere (issue 13, finding 16)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db


def test_subscribe_answers_503_while_redis_is_out_of_reach(settings: Any) -> None:
    ComponentFactory()
    # A real Redis client aimed at a port nothing listens on: what a stopped Redis does.
    dead = settings.CACHES["default"] | {"LOCATION": "redis://127.0.0.1:9/0"}
    settings.CACHES = {**settings.CACHES, "default": dead}
    client = Client(raise_request_exception=False)
    data = {"channel": "email", "destination": "a@example.test", "scope": "all"}
    response = client.post("/subscribe", data)
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    assert b"Back in a moment" in response.content


def test_a_staff_write_answers_503_json_while_the_database_is_out_of_reach(
    admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")

    def lost(**kwargs: Any) -> Any:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    monkeypatch.setattr("incidents.lifecycle.group_create", lost)
    response = api.post("/api/staff/groups/", {"name": "Core"}, format="json")
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "30"
    assert response.json()["detail"].startswith("Temporarily unavailable")


def test_any_other_crash_is_still_a_500(admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")

    def bug(**kwargs: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr("incidents.lifecycle.group_create", bug)
    response = api.post("/api/staff/groups/", {"name": "Core"}, format="json")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert response["Cache-Control"] == "no-store"
