"""Reads of the cached public pages as production serves them (statuspage.wsgi): they skip
the browser-session middleware and answer with the very headers the whole stack gives."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse

from incidents.public import cache
from statuspage.ingest_wsgi import IngestHandler, dispatching
from statuspage.public_wsgi import PATHS, PublicReadHandler
from statuspage.wsgi import application

# transaction=True: each request ends with request_finished, as in production.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes


def call(
    app: Callable[..., Iterable[bytes]], path: str, method: str = "GET", **headers: str
) -> Answer:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }  # fmt: skip
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, head: list[tuple[str, str]], exc: Any = None) -> None:
        started.append((status, head))

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    status, head = started[0]
    return Answer(
        int(status.split()[0]),
        {k.lower(): v for k, v in head if k.lower() != "set-cookie"},
        [v for k, v in head if k.lower() == "set-cookie"],
        body,
    )


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.reset()


def _refuse(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    raise AssertionError(f"{environ['PATH_INFO']} reached the wrong handler")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_public_reads_go_to_the_lean_handler(method: str) -> None:
    app = dispatching(_refuse, _refuse, public_read=PublicReadHandler())
    for path in sorted(PATHS):
        assert call(app, path, method).status == 200, path


@pytest.mark.parametrize(
    ("path", "method"),
    [("/", "POST"), ("/", "TRACE"), ("/subscribe", "GET"), ("/history/", "GET"),
     ("/console/", "GET"), ("/api/v2/summary.json", "GET")],
)  # fmt: skip
def test_everything_else_keeps_the_whole_stack(path: str, method: str) -> None:
    main = WSGIHandler()
    reached: list[str] = []

    def counting(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        reached.append(environ["PATH_INFO"])
        return main(environ, start_response)

    app = dispatching(counting, IngestHandler(), public_read=PublicReadHandler())
    call(app, path, method)
    assert reached == [path]


def test_the_lean_path_skips_only_the_browser_session_middleware() -> None:
    kept = PublicReadHandler().middleware
    assert "csp.middleware.CSPMiddleware" in kept
    assert "django.middleware.security.SecurityMiddleware" in kept
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in kept
    assert "django.contrib.sessions.middleware.SessionMiddleware" not in kept
    assert "django.middleware.csrf.CsrfViewMiddleware" not in kept


def test_a_middleware_with_view_hooks_refuses_to_start_on_the_lean_path(
    settings: Any,
) -> None:
    settings.MIDDLEWARE = [
        "tests.public.test_public_read_path.ViewHookMiddleware",
        *settings.MIDDLEWARE,
    ]
    with pytest.raises(ImproperlyConfigured, match="ViewHookMiddleware"):
        PublicReadHandler()


class ViewHookMiddleware:
    def __init__(self, get_response: Callable[..., Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)

    def process_view(self, *args: Any) -> None:
        return None


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_the_front_page_answers_as_through_the_whole_stack(layout: object, encoding: str) -> None:
    headers = {"ACCEPT_ENCODING": encoding} if encoding else {}
    lean = call(application, "/", **headers)
    whole = call(WSGIHandler(), "/", **headers)
    assert lean.status == whole.status == 200
    assert lean.body == whole.body  # the same cached rendering
    assert lean.headers == whole.headers  # CSP, frame options, nosniff, ETag, Vary, ...
    assert "content-security-policy" in lean.headers
    assert lean.headers["x-frame-options"] == "DENY"
    assert lean.headers["x-content-type-options"] == "nosniff"
    assert lean.cookies == whole.cookies == []


def test_a_conditional_get_still_answers_304(layout: object) -> None:
    first = call(application, "/")
    again = call(application, "/", IF_NONE_MATCH=first.headers["etag"])
    assert again.status == 304
    assert again.body == b""


def test_the_console_sign_in_form_still_checks_csrf() -> None:
    assert call(application, reverse("console:login"), "POST").status == 403
