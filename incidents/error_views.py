"""Django's last-resort answers (handler404, handler500), shaped for who is asking.

Under /api/ every answer is JSON with a reason, as docs/api.md promises, even for a path
no view claims or a crash no view caught. A crash because PostgreSQL or Redis is out of
reach is not the server's fault but a passing outage: it answers 503 with Retry-After
(JSON under /api/, a short page elsewhere) so clients and monitors retry instead of
reporting a bug. Neither answer reads the database or the cache, which may be what failed.
"""

from __future__ import annotations

import sys

import redis.exceptions
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

API_PREFIX = "/api/"
# Long enough for a database failover or a Redis restart, short enough not to strand users.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "Temporarily unavailable: a backing service is out of reach. Retry shortly."
SERVER_ERROR = "Server error. It has been logged; retrying will not help until it is fixed."

# What a lost or overwhelmed service raises: the database's as Django's OperationalError
# (no connection, shut down, too many clients, timeouts) or InterfaceError (connection
# closed); redis-py's as its ConnectionError or TimeoutError (the cache, the broker).
OUTAGES: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def is_outage(exc: BaseException | None) -> bool:
    """Whether exc, or an exception it was raised from, says a backing service is gone."""
    for _ in range(10):  # a chain is short; a cycle must not hang the error path
        if exc is None:
            return False
        if isinstance(exc, OUTAGES):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def unavailable(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse({"detail": UNAVAILABLE}, status=503)
    else:
        page = loader.get_template("unavailable.html").render({"retry": RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": f"No such API path: {request.path}"}, status=404)
    from incidents.public.views import page_not_found  # the public page's own "not found"

    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block, so the exception is still at hand.
    if is_outage(sys.exc_info()[1]):
        return unavailable(request)
    response = (
        JsonResponse({"detail": SERVER_ERROR}, status=500)
        if _is_api(request)
        else defaults.server_error(request)
    )
    # No cache in front keeps an error in place of the page (stale-if-error serves its copy).
    response["Cache-Control"] = "no-store"
    return response
