"""The reader's language on the public side: from the URL, else from Accept-Language.

English keeps the unprefixed URLs (`/`, `/history`, ...); every other shipped language
lives under `/<code>/` (`/de/`, `/ja/history`), through `i18n_patterns` in the root
URLconf, so `reverse()` inside a German page gives German links. An explicit choice is
the URL itself: a prefixed URL is always its language, whatever the browser says.

An unprefixed page (GET or HEAD) whose reader prefers another shipped language (the
language cookie first, then Accept-Language) is redirected to that language's URL; the
switch's English link carries `?lang=en`, which serves English and remembers the choice in
the language cookie, so a German browser can still read English. The redirect is private
(never kept by a shared cache) and the English page says `Vary: Accept-Language`.

Rendering never depends on the request beyond the active language: the public cache keys
its renderings by it (incidents/public/cache.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

DEFAULT = "en"
# The Accept-Language header read at most this long (Django cuts at 500 as well): a
# browser's real header is a few dozen characters.
HEADER_MAX_LENGTH = 500
# Pages a reader lands on; feeds, badges, the API and form posts are never redirected.
_NEGOTIATED = re.compile(
    r"^/(?:|history(?:/.*)?|incidents/[^/]+(?:/follow)?|maintenance/[^/]+|subscribe)$"
)
CHOICE_PARAMETER = "lang"


def shipped() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def is_page(path: str) -> bool:
    """An English page a reader lands on (and that each language has its own copy of)."""
    return _NEGOTIATED.match(path) is not None


def translated_pages(urls: list[str]) -> list[str]:
    """The pages among `urls` under each other language's prefix (the snapshot's)."""
    pages = [url for url in urls if is_page(url)]
    return [f"/{code}{url}" for code in shipped() if code != DEFAULT for url in pages]


def language_from_path(path: str) -> str | None:
    """The language a prefixed path names (`/de/...` -> "de"), None when unprefixed."""
    first = path[1:].split("/", 1)[0]
    if first != DEFAULT and first in shipped() and path.startswith(f"/{first}/"):
        return first
    return None


def supported(code: str) -> str | None:
    """The shipped language for a tag ("de-AT" -> "de"), None when none fits."""
    code = code.strip().lower()
    if not code or len(code) > 35 or not code.isascii():
        return None
    base = code.split("-", 1)[0]
    if code in shipped():
        return code
    return base if base in shipped() else None


def preferred(header: str) -> str | None:
    """The reader's best shipped language from an Accept-Language header, or None.

    Anything malformed, huge or with no shipped language gives None (the default).
    """
    if not header or not header.isascii():
        return None
    try:
        choices = parse_accept_lang_header(header[:HEADER_MAX_LENGTH])
    except ValueError:
        return None
    for code, _quality in choices:
        if code != "*" and (found := supported(code)):
            return found
    return None


def sign_up_language(request: HttpRequest) -> str:
    """The language a subscriber signs up in: a prefixed page's own, else the reader's
    choice on an English page (the language cookie, then the browser's)."""
    active = translation.get_language() or DEFAULT
    if active != DEFAULT:
        return supported(active) or DEFAULT
    return _reader_choice(request) or DEFAULT


def language_links(path: str) -> list[dict[str, str]]:
    """The same page in every shipped language: the switch and the hreflang alternates.
    English links carry `?lang=en` so that a reader who picks it is not sent back. A page
    with no copy per language (the Verify page, the report) has none: no link may lead to a
    page the static copy lacks."""
    prefix = language_from_path(path)
    if not is_page(path[len(prefix) + 1 :] if prefix else path):
        return []
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(path, code)
        choice = url + "?" + urlencode({CHOICE_PARAMETER: code}) if code == DEFAULT else url
        links.append({"code": code, "name": name, "url": url, "choice": choice})
    return links


def _reader_choice(request: HttpRequest) -> str | None:
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie:
        return supported(cookie[:35])
    return preferred(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))


class LanguageMiddleware:
    """Activates the URL's language for the request (and nothing after it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if path[1:] in shipped() and path[1:] != DEFAULT:  # "/de" -> "/de/"
            return HttpResponseRedirect(path + "/")
        language = language_from_path(path)
        negotiated = language is None and request.method in ("GET", "HEAD") and is_page(path)
        chosen = request.GET.get(CHOICE_PARAMETER) if negotiated else None
        if negotiated and chosen is None:
            wanted = _reader_choice(request)
            if wanted is not None and wanted != DEFAULT:
                return _redirect(request, wanted)
        translation.activate(language or DEFAULT)
        request.LANGUAGE_CODE = language or DEFAULT
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        if negotiated:
            patch_vary_headers(response, ("Accept-Language",))
            if chosen == DEFAULT:
                # The reader's own choice: remembered, and never stored by a shared cache.
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    DEFAULT,
                    max_age=365 * 86400,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
                response["Cache-Control"] = "private, max-age=0"
        return response


def _redirect(request: HttpRequest, language: str) -> HttpResponse:
    query = request.META.get("QUERY_STRING", "")
    target = f"/{language}{request.path_info}"  # "/" -> "/de/", "/history" -> "/de/history"
    response = HttpResponseRedirect(target + ("?" + query if query else ""))
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    response["Cache-Control"] = "private, max-age=0"
    return response


# The interface's words for the statuses and impacts: the page, the emails and the v2
# API's `lang` parameter share them. The stored values stay English.
STATUS_WORDS = {
    "operational": _("Operational"),
    "under_maintenance": _("Under maintenance"),
    "degraded_performance": _("Degraded performance"),
    "partial_outage": _("Partial outage"),
    "major_outage": _("Major outage"),
    "investigating": _("Investigating"),
    "identified": _("Identified"),
    "monitoring": _("Monitoring"),
    "resolved": _("Resolved"),
    "scheduled": _("Scheduled"),
    "in_progress": _("In progress"),
    "verifying": _("Verifying"),
    "completed": _("Completed"),
}
IMPACT_WORDS = {
    "none": _("No impact"),
    "minor": _("Minor impact"),
    "major": _("Major impact"),
    "critical": _("Critical impact"),
}
PAGE_WORDS = {
    "All Systems Operational": _("All Systems Operational"),
    "Minor Service Outage": _("Minor Service Outage"),
    "Partial System Outage": _("Partial System Outage"),
    "Major Service Outage": _("Major Service Outage"),
    "Service Under Maintenance": _("Service Under Maintenance"),
}


def page_words(description: str) -> str:
    """The overall description in the active language (stored and compared in English)."""
    word = PAGE_WORDS.get(description)
    return str(word) if word is not None else description
