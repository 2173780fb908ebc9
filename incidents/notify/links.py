"""Signed links a subscriber follows: manage the subscription, unsubscribe in one click.

Every link is absolute on CANDOR_CANONICAL_URL: messages point at the status page's one
public address, never at whatever host the worker happens to run on.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "candor.notify.subscriber"


def subscriber_token(public_id: str) -> str:
    # Not time-limited: an unsubscribe link in a year-old email must still work.
    return signing.dumps(public_id, salt=_SALT, compress=False)


def subscriber_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=_SALT))
    except signing.BadSignature:
        return None


def absolute(path: str) -> str:
    return settings.CANDOR_CANONICAL_URL + path


@cache
def _around_token(name: str) -> tuple[str, str]:
    """The path of a token link, before and after the token: reversed once, as the fan-out
    makes one link per message. A token is base64url and ':', which reverse() keeps."""
    marker = "candortoken"
    before, after = reverse(name, args=[marker]).split(marker)
    return before, after


def manage_url(public_id: str) -> str:
    before, after = _around_token("public:subscription")
    return absolute(before + subscriber_token(public_id) + after)


def unsubscribe_url(public_id: str) -> str:
    return absolute(reverse("public:unsubscribe", args=[subscriber_token(public_id)]))


def unsubscribe_url_from(manage: str) -> str:
    """The unsubscribe link beside a manage link, without signing again (urls.py)."""
    return manage + "/unsubscribe"


def confirm_url(token: str) -> str:
    return absolute(reverse("public:subscription_confirm", args=[token]))
