"""Sign-in lockout: every spelling of a username that signs in as that user shares one
failure count (finding 4 of issue 13)."""

from __future__ import annotations

import itertools

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

PASSWORD = "correct-horse-battery"
LOCKED = "Too many failed sign-ins"
FULLWIDTH = "\uff52\uff49\uff54\uff41"  # "rita" in fullwidth letters

# What str.strip() removes, which Django's username field does before authenticating.
_BLANKS = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2003", "\u3000"]


def _variants() -> list[str]:
    # Fullwidth letters are what NFKC (the username field's normalisation) folds to
    # "rita"; case differs only in the count (sign-in itself is case-sensitive).
    spellings = {"rita", FULLWIDTH, "\uff52ita", "ri\uff54\uff41", "RITA", "Rita"}
    found: list[str] = []
    for spelling, (before, after) in itertools.product(
        sorted(spellings), itertools.product(["", *_BLANKS], repeat=2)
    ):
        found.append(f"{before}{spelling}{after}")
    return found[:80]


def _sign_in(client: Client, username: str, password: str) -> str:
    response = client.post(
        reverse("console:login"), {"username": username, "password": password, "otp_token": ""}
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def test_eighty_spellings_of_one_username_get_five_tries_between_them(responder: User) -> None:
    variants = _variants()
    assert len(set(variants)) == 80
    client = Client()
    answers = [_sign_in(client, name, "wrong") for name in variants]

    refused_unchecked = [a for a in answers if LOCKED in a]
    assert len(answers) - len(refused_unchecked) == 5
    # Locked means locked: the right password under any spelling does not get in either.
    for name in ("rita", " rita", "rita\t", FULLWIDTH):
        assert LOCKED in _sign_in(client, name, PASSWORD)


def test_the_spellings_really_do_sign_in(responder: User) -> None:
    # The lockout must cover exactly what sign-in accepts: these all reach Rita's account.
    for name in (" rita", "\trita\n", FULLWIDTH, "\u3000rita\xa0"):
        client = Client()
        assert _sign_in(client, name, PASSWORD) == "/console/"
