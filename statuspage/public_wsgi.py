"""Anonymous reads of the cached public pages: Django without the session middleware.

The front page is the most requested URL, and a cache hit answers it from process memory
(incidents/public/cache.py). Through the full stack, the session, CSRF, authentication,
OTP and messages middleware then cost more than the view: each builds its lazy objects,
the messages storage its cookie signer, for a response that never reads a session, a
user or a message (the public views render without the request's context, so a page
can be cached for everyone). GET and HEAD of these paths skip them; every other
middleware still runs, in the settings' order, so the security headers (CSP, frame
options, nosniff, referrer policy, HSTS behind TLS) are the same as everywhere. Forms
(subscribe, follow) and everything else keep the whole stack.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from statuspage.ingest_wsgi import LeanHandler

# Only paths whose view answers through the public cache and reads nothing per visitor,
# in English and under each other language's prefix (/de/, /ja/history: the language
# comes from the path, incidents/public/language.py, which runs here as everywhere).
_ENGLISH_PATHS = ("/", "/uptime.json", "/history", "/history.atom", "/history.rss")
PATHS = frozenset(
    [*_ENGLISH_PATHS]
    + [
        f"/{code}{path}"
        for code, _name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
        for path in _ENGLISH_PATHS
    ]
)
METHODS = frozenset({"GET", "HEAD"})
# The browser-session middleware; static files (WhiteNoise) live under STATIC_URL.
SKIPPED = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    }
)


class PublicReadHandler(LeanHandler):
    def __init__(self) -> None:
        self.middleware = tuple(m for m in settings.MIDDLEWARE if m not in SKIPPED)
        super().__init__()

    @staticmethod
    def serves(environ: dict[str, Any]) -> bool:
        return environ.get("REQUEST_METHOD") in METHODS and environ.get("PATH_INFO") in PATHS
