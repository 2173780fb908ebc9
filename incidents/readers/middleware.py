"""Keeps a reader's session true to the database at each request (session.session_refresh):
an expired session, or an audience an Admin revoked, is gone before any view reads it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from incidents.readers.session import session_refresh


class ReaderSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Most requests carry no session cookie (anonymous readers): nothing to load. The
        # lean public read path (statuspage/public_wsgi.py) runs without sessions at all.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and hasattr(request, "session"):
            session_refresh(request=request, now=timezone.now())
        return self.get_response(request)
