"""Registering someone to post by SMS and email: the PIN and secret are shown once and
stored only as hashes; only accounts that can post updates can be registered."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from incidents.models import AuditEvent, InboundPoster
from incidents.post_in.credentials import pin_matches, secret_matches
from tests.conftest import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_the_command_issues_a_pin_and_secret_that_work_and_are_stored_hashed() -> None:
    staff_user("nina", "Responder")
    out = StringIO()
    call_command("post_in_register", "nina", "--phone", "+1 415 555 0199",
                 "--email", "Nina@Ops.Example.com", stdout=out)  # fmt: skip
    printed = out.getvalue()
    pin = re.search(r"UPDATE <incident id> <status> (\d+)", printed).group(1)  # type: ignore[union-attr]
    secret = re.search(r"Secret: (\S+)", printed).group(1)  # type: ignore[union-attr]
    poster = InboundPoster.objects.get(user__username="nina")
    assert (poster.phone, poster.email) == ("+14155550199", "Nina@ops.example.com")
    assert pin_matches(poster, pin) and secret_matches(poster, secret)
    assert pin not in poster.pin_hash and secret not in poster.secret_hash
    assert not pin_matches(poster, "00000000") and not secret_matches(poster, "x" * 24)
    assert AuditEvent.objects.filter(action="post_in.registered").count() == 1

    call_command("post_in_register", "nina", "--remove", stdout=StringIO())
    assert not InboundPoster.objects.exists()
    assert AuditEvent.objects.filter(action="post_in.removed").count() == 1


def test_an_approver_or_a_taken_number_is_refused(legal: User) -> None:
    with pytest.raises(CommandError, match="cannot post updates"):
        call_command("post_in_register", legal.username, "--phone", "+14155550199")
    staff_user("nina", "Responder")
    staff_user("omar", "Responder")
    call_command("post_in_register", "nina", "--phone", "+14155550199", stdout=StringIO())
    with pytest.raises(CommandError, match="registered to someone else"):
        call_command("post_in_register", "omar", "--phone", "+14155550199")
    with pytest.raises(CommandError, match="phone number"):
        call_command("post_in_register", "omar", "--phone", "+1\u202e555")
