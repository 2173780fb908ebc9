"""The console in the staff member's language: their choice (StaffLanguage), else the
browser's Accept-Language, else English.

Console URLs keep one address in every language (no /de/ prefix): a link pasted between
colleagues opens in the reader's own language, and the permission table names each URL
once. The public LanguageMiddleware activates English for every unprefixed path; this
middleware, after authentication, overrides that for /console/ only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers

from incidents.models import StaffLanguage
from incidents.public.language import DEFAULT, preferred, supported

PREFIX = "/console/"


def chosen(user_id: int) -> str | None:
    """The user's stored choice, if it is still a shipped language."""
    stored = StaffLanguage.objects.filter(user_id=user_id).values_list("language", flat=True)
    code = stored.first()
    return supported(code) if code else None


def console_language(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and (code := chosen(user.pk)):
        return code
    return preferred(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) or DEFAULT


class ConsoleLanguageMiddleware:
    """Activates the console language around the view and the flashed messages (it sits
    outside MessageMiddleware, which stores the messages when the response leaves)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        language = console_language(request)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
