"""The subscriber's signed link (notify/links.py): what django.core.signing.dumps gives,
from a signer kept per key."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core import signing
from django.utils import translation

from incidents.notify import links

pytestmark = pytest.mark.embedded


def test_the_token_is_what_signing_dumps_gives_and_reads_back() -> None:
    with time_machine.travel("2026-12-08 01:00:00+00:00", tick=False):
        token = links.subscriber_token("sub_abc")
        assert token == signing.dumps("sub_abc", salt=links._SALT, compress=False)
    assert links.subscriber_from_token(token) == "sub_abc"


def test_a_new_secret_key_signs_with_the_new_key(settings: Any) -> None:
    old = links.subscriber_token("sub_abc")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    new = links.subscriber_token("sub_abc")
    assert signing.loads(new, salt=links._SALT) == "sub_abc"
    with pytest.raises(signing.BadSignature):
        signing.loads(old, salt=links._SALT)  # the old key is no longer one of ours


def test_each_reader_gets_the_link_in_their_own_language_whoever_came_first() -> None:
    """The path around the token is kept per language: kept once per process, every
    subscriber got the language of whoever's link was made first."""
    with translation.override("de"):
        german = links.manage_url("sub_abc")
    with translation.override("en"):
        english = links.manage_url("sub_abc")
    with translation.override("de"):
        assert links.manage_url("sub_abc").startswith(german.rsplit("/", 1)[0])
    assert "/de/subscriptions/" in german
    assert "/de/" not in english and "/subscriptions/" in english
