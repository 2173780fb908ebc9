from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponseBase
from django.test import Client
from django.test.client import ClientHandler

from incidents.audit import Actor
from incidents.ingest import admission, sources
from incidents.models import Source, SourceFormat
from statuspage import ingest_wsgi

PAYLOADS = Path(__file__).parent / "payloads"


@dataclass
class Sender:
    """A monitor posting to its source, as a real one does: JSON, bearer token."""

    client: Client
    source: Source
    token: str

    @property
    def url(self) -> str:
        return f"/api/ingest/{self.source.name}/"

    def post(self, body: Any, **headers: str) -> Any:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        headers.setdefault("Authorization", f"Bearer {self.token}")
        content_type = headers.pop("content_type", "application/json")
        return self.client.post(self.url, data=data, content_type=content_type, headers=headers)


class LeanClientHandler(ClientHandler):
    """The test client's handler with the ingest handler's middleware and URL table
    (statuspage/ingest_wsgi.py), which is what serves monitors in production."""

    middleware = ingest_wsgi.MIDDLEWARE
    load_middleware = ingest_wsgi.IngestHandler.load_middleware

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.urlconf = ingest_wsgi.URLCONF  # type: ignore[attr-defined]
        return super().get_response(request)


def lean_client() -> Client:
    client = Client()
    client.handler = LeanClientHandler()
    return client


@pytest.fixture(autouse=True)
def _fresh_buckets() -> Iterator[None]:
    admission.reset_local()
    sources._SOURCES.clear()  # a copy of a same-named source from the previous test
    yield
    admission.reset_local()


@pytest.fixture
def admin_actor() -> Actor:
    return Actor.system("test-admin")


@pytest.fixture
def make_sender(db: None, client: Client) -> Callable[..., Sender]:
    def make(
        name: str = "prom", format: str = SourceFormat.ALERTMANAGER, **settings: Any
    ) -> Sender:
        settings.setdefault("hold_seconds", 0)
        source, token = sources.source_create(
            actor=Actor.system("test-admin"), name=name, format=format, **settings
        )
        return Sender(client, source, token)

    return make


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())
