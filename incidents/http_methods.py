"""Refuse TRACE (and Microsoft's TRACK) everywhere, before any view sees them.

Django's function views answer any method they do not check for, so TRACE got a 200 with
the page. No resource here supports it, and echoing requests back is what cross-site
tracing needs; one middleware closes it for every URL, present and future.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

REFUSED = {"TRACE", "TRACK"}
# What resources here answer at most; a 405 must name the methods allowed (RFC 9110).
ALLOW = "GET, HEAD, OPTIONS, POST"


class RefuseTraceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.method or "").upper() in REFUSED:
            response = JsonResponse({"detail": f"{request.method} is not allowed."}, status=405)
            response["Allow"] = ALLOW
            return response
        return self.get_response(request)
