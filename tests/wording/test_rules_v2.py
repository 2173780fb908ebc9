# ruff: noqa: RUF001 - look-alike letters are what these tests are about
"""Policy v2 (issue 14): leetspeak undone with spans into the words as written, links to
hosts we do not own, vendor blame from an editable list, and promises of the next update."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from incidents import wording
from incidents.audit import Actor
from incidents.wording.approvals import rule_save

pytestmark = [pytest.mark.wording, pytest.mark.django_db]

URL = settings.CANDOR_CANONICAL_URL


def _hits(text: str, *, phase: str = "resolved", channel: str = "web") -> list[tuple[str, str]]:
    return [(v.rule, v.excerpt) for v in wording.check(text, channel=channel, phase=phase)]


def test_a_disguised_spelling_is_found_and_pointed_at_as_written() -> None:
    text = "Resolved. Your account is 1OO% $ecure and gu@r4nt33d."
    assert _hits(text) == [
        ("absolute-claims", "1OO% $ecure"),
        ("promise-guarantee", "gu@r4nt33d"),
    ]


def test_a_one_may_stand_for_an_l_or_an_i() -> None:
    assert _hits("Resolved. It runs f1aw1ess1y.") == [("absolute-claims", "f1aw1ess1y")]
    assert _hits("Resolved. It is now fu11y secure.") == [("absolute-claims", "fu11y secure")]


def test_numbers_stay_numbers() -> None:
    # "100% of requests" is a measurement; a time or a version is not leetspeak.
    assert _hits("Resolved. 100% of requests succeed since 10:01 UTC on v1.3.7.") == []


def test_a_look_alike_of_our_own_address_is_another_host() -> None:
    fake = URL.replace("o", "о")  # Cyrillic o
    assert fake != URL
    [link, missing] = wording.check(f"Resolved. {fake}", channel="sms", phase="resolved")
    assert (link.rule, link.excerpt) == ("foreign-links", fake)
    assert missing.rule == "status-url"


def test_our_address_as_the_start_of_another_host_is_not_our_address() -> None:
    for trick in (f"{URL}.evil.example", f"{URL}@evil.example", f"{URL}:80.evil.example"):
        rules = {
            v.rule for v in wording.check(f"Resolved. {trick}", channel="sms", phase="resolved")
        }
        assert rules == {"foreign-links", "status-url"}, trick


def test_defanged_and_bare_domains_are_links_and_file_names_are_not() -> None:
    assert _hits("Resolved. See evil[.]example (dot) com.") == [
        ("foreign-links", "evil[.]example (dot) com")
    ]
    assert _hits("Resolved. A typo in settings.py and deploy.sh; Node.js v20.1 is fine.") == []


def test_the_allowed_hosts_and_the_vendors_are_lists_an_admin_edits(admin: Any) -> None:
    actor = Actor.staff(admin, channel="console")
    text = "Resolved. The outage at Acme Cloud is over; notes at docs.example.org/rca."
    assert _hits(text) == [("foreign-links", "docs.example.org")]

    rule_save(actor=actor, key="foreign-links", kind="allowed_links", pattern="example.org",
              reason="Links only to our own sites.")  # fmt: skip
    rule_save(actor=actor, key="vendor-blame", kind="vendor_blame", pattern="aws\nacme cloud",
              reason="Blames a vendor.")  # fmt: skip

    assert _hits(text) == [("vendor-blame", "outage at Acme Cloud")]


def test_broken_lists_are_refused_with_a_reason(admin: Any) -> None:
    actor = Actor.staff(admin, channel="console")
    with pytest.raises(ValidationError, match="Not a host name"):
        rule_save(actor=actor, key="foreign-links", kind="allowed_links",
                  pattern="example.org\n<script>", reason="x")  # fmt: skip
    with pytest.raises(ValidationError, match="at least one name"):
        rule_save(actor=actor, key="vendor-blame", kind="vendor_blame", pattern=" \n", reason="x")


@pytest.mark.parametrize(
    "promise",
    [
        "Another update by 09:15 UTC.",
        "We will post again at 14:00.",
        "Expect news within 30 minutes.",
        "More in the next hour.",
        "Next update: 09:50 UTC.",
        "We'll update you in about 45 mins.",
    ],
)
def test_any_explicit_time_or_duration_promises_the_next_update(promise: str) -> None:
    assert _hits(f"We are investigating. {promise}", phase="investigating") == []


def test_a_time_in_the_past_is_no_promise() -> None:
    rules = [r for r, _ in _hits("Errors since 14:05 UTC, investigating.", phase="investigating")]
    assert rules == ["next-update-time"]


def test_an_sms_linking_the_status_page_needs_no_time_an_email_does() -> None:
    text = f"Investigating API errors. {URL}"
    assert _hits(text, phase="investigating", channel="sms") == []
    assert [r for r, _ in _hits(text, phase="investigating", channel="email")] == [
        "next-update-time"
    ]


def test_links_to_the_app_where_it_answers_apart_from_the_page_are_ours(settings: Any) -> None:
    # Every message links the subscriber's manage page on CANDOR_APP_URL; a policy that
    # refused it would refuse every message of a page whose copy is served elsewhere.
    settings.CANDOR_APP_URL = "https://app.candor.test"
    text = "Resolved. Manage your subscription at https://app.candor.test/subscriptions/x"
    assert _hits(text) == []
    assert [rule for rule, _ in _hits(text.replace("candor.test", "candor-test.example"))] == [
        "foreign-links"
    ]
