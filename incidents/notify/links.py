"""Signed links a subscriber follows: manage the subscription, unsubscribe in one click.

Every link is absolute, never on whatever host the worker happens to run on: pages of the
status site on CANDOR_CANONICAL_URL (`absolute`), and what only the live app can answer
(managing a subscription, unsubscribing, confirming, Twilio's callbacks, the console) on
CANDOR_APP_URL (`app_absolute`), which is the canonical URL unless the canonical name
serves the static copy from a bucket or mirror (README, "Independent hosting").
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import get_language

_SALT = "candor.notify.subscriber"


def subscriber_token(public_id: str) -> str:
    # Not time-limited: an unsubscribe link in a year-old email must still work. What
    # signing.dumps gives, from a signer made once per key: the fan-out signs a link for
    # every message, and making the signer cost a third of it.
    return _signer(settings.SECRET_KEY).sign_object(public_id, compress=False)


@lru_cache(maxsize=4)
def _signer(key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(key=key, salt=_SALT)


def subscriber_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=_SALT))
    except signing.BadSignature:
        return None


def absolute(path: str) -> str:
    return settings.CANDOR_CANONICAL_URL + path


def app_absolute(path: str) -> str:
    return settings.CANDOR_APP_URL + path


@lru_cache(maxsize=64)
def _around_token(name: str, language: str | None) -> tuple[str, str]:
    """The path of a token link, before and after the token: reversed once per language
    (`language` keys the cache: reverse() gives the active language's path, /de/...), as
    the fan-out makes one link per message. A token is base64url and ':', which reverse()
    keeps."""
    marker = "candortoken"
    before, after = reverse(name, args=[marker]).split(marker)
    return before, after


def manage_url(public_id: str) -> str:
    before, after = _around_token("public:subscription", get_language())
    return app_absolute(before + subscriber_token(public_id) + after)


def unsubscribe_url(public_id: str) -> str:
    return app_absolute(reverse("public:unsubscribe", args=[subscriber_token(public_id)]))


def unsubscribe_url_from(manage: str) -> str:
    """The unsubscribe link beside a manage link, without signing again (urls.py)."""
    return manage + "/unsubscribe"


def confirm_url(token: str) -> str:
    return app_absolute(reverse("public:subscription_confirm", args=[token]))
