"""The ingest endpoint's own WSGI handler: Django without the browser middleware.

Monitors post to /api/ingest/<source>/ with a token, thousands of times a second in a
storm. Sessions, CSRF, authentication, OTP, messages, CSP and frame options serve
browsers, and cost about a third of the endpoint's CPU per request (py-spy and cProfile,
bench/README.md). This handler is Django's own (request objects, the request signals
that recycle database connections, exception handling and the 500 handler), with only
the middleware that still means something to a monitor and a URL table holding only the
ingest route, so nothing else can be reached through it.

Its time goes mostly to waiting: a Redis round trip and a commit that waits for the WAL
flush (about 1.7 ms on this machine's disk). One request at a time per process (granian's
`--blocking-threads 1`) left the CPU idle through those waits, so the server runs
several threads, and `dispatching` lets ingest requests use them all while every other
request still runs one at a time per process: pages are CPU-bound, and threads rendering
them at once only contend for the GIL (FIELD-NOTES: 149 against 216 pages/s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from statuspage.public_wsgi import PublicReadHandler

PREFIX = "/api/ingest/"
URLCONF = "statuspage.ingest_urls"
# TRACE refused as everywhere; SecurityMiddleware for nosniff, HSTS and the proxy's https.
MIDDLEWARE = (
    "incidents.http_methods.RefuseTraceMiddleware",
    "django.middleware.security.SecurityMiddleware",
)


class LeanHandler(WSGIHandler):
    """Django's WSGI handler over `middleware` instead of settings.MIDDLEWARE."""

    middleware: tuple[str, ...] = ()

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler.load_middleware reads settings.MIDDLEWARE; this is its sync path
        # over a shorter list. Only middleware with neither view, template nor exception
        # hooks may be listed: they are not wired here.
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(self.middleware):
            instance = import_string(path)(handler)
            if any(hasattr(instance, hook) for hook in _UNWIRED_HOOKS):
                # Refuse to start rather than run it without half of what it does.
                raise ImproperlyConfigured(f"{path} has hooks {type(self).__name__} lacks")
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


_UNWIRED_HOOKS = ("process_view", "process_exception", "process_template_response")


class IngestHandler(LeanHandler):
    middleware = MIDDLEWARE

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.urlconf = URLCONF  # type: ignore[attr-defined]
        response = super().get_response(request)
        if not response.streaming and not response.has_header("Content-Length"):
            # What CommonMiddleware does: without it the server would send the answer
            # chunked, which some monitors' HTTP clients handle poorly.
            response["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
        return response


def dispatching(
    main: Callable[..., Iterable[bytes]],
    ingest: Callable[..., Iterable[bytes]],
    *,
    public_read: PublicReadHandler | None = None,
    concurrent_ingest: bool = True,
) -> Callable[..., Iterable[bytes]]:
    """One WSGI application: ingest requests to `ingest`, concurrently; anonymous reads
    of the cached public pages to `public_read` (public_wsgi.py); everything else to
    `main`; all but ingest one at a time in this process (as with a single server thread).

    Without `concurrent_ingest` (SQLite, `make run`: one writer at a time, and threads
    writing at once are refused "database is locked"), ingest waits its turn too."""
    one_at_a_time = threading.Lock()

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if concurrent_ingest and path.startswith(PREFIX):
            return ingest(environ, start_response)
        if path.startswith(PREFIX):
            handler = ingest
        elif public_read is not None and public_read.serves(environ):
            handler = public_read
        else:
            handler = main
        with one_at_a_time:
            return handler(environ, start_response)

    return application
