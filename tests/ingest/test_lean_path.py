"""The ingest endpoint as production serves it (statuspage.wsgi.application): monitors'
posts skip the browser middleware, and still meet every check the endpoint makes."""

from __future__ import annotations

import io
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from incidents.audit import Actor
from incidents.ingest import admission, sources
from incidents.models import Signal, SourceFormat
from statuspage.wsgi import application

pytestmark = pytest.mark.django_db(transaction=True)  # each request commits, as in production


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def call(path: str, body: bytes = b"", method: str = "POST", **headers: str) -> Answer:
    """One request through the WSGI application granian serves."""
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }  # fmt: skip
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, head: list[tuple[str, str]], exc: Any = None) -> None:
        started.append((status, head))

    result = application(environ, start_response)
    try:
        body_out = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()  # Django's request_finished, as servers do
    status, head = started[0]
    return Answer(int(status.split()[0]), {k.lower(): v for k, v in head}, body_out)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    admission.reset_local()
    sources._SOURCES.clear()


@pytest.fixture
def token() -> str:
    _, made = sources.source_create(
        actor=Actor.system("test"), name="probe", format=SourceFormat.GENERIC, hold_seconds=0,
        rate_per_second=10_000, burst=10_000,
    )  # fmt: skip
    return made


def signal(fingerprint: str) -> bytes:
    return json.dumps(
        {"signals": [{"fingerprint": fingerprint, "status": "firing", "name": "Probe"}]}
    ).encode()


def test_monitors_skip_the_browser_middleware_and_pages_do_not(token: str) -> None:
    posted = call("/api/ingest/probe/", signal("a"), AUTHORIZATION=f"Bearer {token}")
    assert posted.status == 202, posted.body
    assert "content-security-policy" not in posted.headers  # no browser middleware ran
    assert posted.headers["x-content-type-options"] == "nosniff"  # SecurityMiddleware did
    assert posted.headers["content-length"] == str(len(posted.body))  # not sent chunked
    page = call("/api/v2/summary.json", method="GET")
    assert page.status == 200
    assert "content-security-policy" in page.headers


def test_a_wrong_or_missing_token_is_refused(token: str) -> None:
    wrong = call("/api/ingest/probe/", signal("a"), AUTHORIZATION="Bearer not-the-token")
    missing = call("/api/ingest/probe/", signal("b"))
    assert (wrong.status, missing.status) == (401, 401)
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert not Signal.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"[" * 5000 + b"]" * 5000, 400, b"nested deeper"),
        (b'{"signals": [{"fingerprint": "\\u0000", "status": "firing", "name": "x"}]}',
         400, b"fingerprint"),
        (b"\xff\xfe not json", 400, b"Malformed JSON"),
        (b'{"signals": [{"fingerprint": "f", "status": "firing", "name": "x", "evil": 1}]}',
         400, b"evil"),
    ],
)  # fmt: skip
def test_hostile_bodies_are_refused_with_a_reason(
    token: str, body: bytes, status: int, reason: bytes
) -> None:
    answer = call("/api/ingest/probe/", body, AUTHORIZATION=f"Bearer {token}")
    assert answer.status == status
    assert reason in answer.body
    assert not Signal.objects.exists()


def test_an_oversized_body_is_refused(token: str) -> None:
    body = b" " * (settings.CANDOR_INGEST_MAX_BODY + 1)
    answer = call("/api/ingest/probe/", body, AUTHORIZATION=f"Bearer {token}")
    assert answer.status == 413


def test_only_the_ingest_route_is_reachable_through_it(token: str) -> None:
    answer = call("/api/ingest/probe/extra/", signal("a"), AUTHORIZATION=f"Bearer {token}")
    assert answer.status == 404
    assert answer.headers["content-type"] == "application/json"  # the API's 404, not HTML


@pytest.mark.embedded  # on SQLite too, where ingest requests take turns (ingest_wsgi.py)
def test_every_signal_accepted_by_concurrent_requests_is_stored(token: str) -> None:
    def post(n: int) -> int:
        try:
            return call(
                "/api/ingest/probe/", signal(f"s{n}"), AUTHORIZATION=f"Bearer {token}"
            ).status
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=8) as pool:  # as the server's threads run them
        statuses = list(pool.map(post, range(200)))
    assert statuses.count(202) == 200
    assert Signal.objects.count() == 200


def test_a_store_the_database_refuses_is_503_and_stores_nothing(token: str) -> None:
    assert call("/api/ingest/probe/", signal("a"), AUTHORIZATION=f"Bearer {token}").status == 202
    # Gone from the database while this process still holds its copy (SOURCE_TTL):
    # the insert violates the foreign key, which the database refuses at the commit.
    sources.Source.objects.filter(name="probe").delete()
    answer = call("/api/ingest/probe/", signal("b"), AUTHORIZATION=f"Bearer {token}")
    assert answer.status == 503
    assert answer.headers["retry-after"] == "5"
    assert not Signal.objects.exists()
