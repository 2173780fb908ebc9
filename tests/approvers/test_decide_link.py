"""The one-click page an approver reaches from the link they are mailed or texted."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import roles
from incidents.approvers import links
from incidents.audit import Actor
from incidents.models import Approval, AuditEvent, CustomTextRequest, Incident, Rejection
from incidents.wording import approvals, decisions
from tests.conftest import staff_user

pytestmark = pytest.mark.wording

WORDS = (
    "Card payments fail for some customers. We are moving traffic to a second provider."
    " Next update within 30 minutes."
)


@pytest.fixture
def custom(
    actor: Actor,
    payments: Incident,
    legal: User,
    support: User,
    django_capture_on_commit_callbacks: Any,
) -> CustomTextRequest:
    """Rita's words for the incident, the approvers told at once (Django's test outbox)."""
    with django_capture_on_commit_callbacks(execute=True):
        return approvals.custom_text_request(
            actor=actor, body=WORDS, phase="identified", incident=payments
        )


def _link(to: str) -> str:
    """The path of the link in the message sent to `to`."""
    [message] = [m for m in mail.outbox if m.to == [to]]
    match = re.search(r"/console/decide/[^/\s]+/", message.body)
    assert match, message.body
    return match.group(0)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_link_shows_the_words_and_who_asked_and_decides_nothing_on_get(
    custom: CustomTextRequest, legal: User
) -> None:
    page = _signed_in(legal).get(_link("lou@example.com"))

    text = page.content.decode()
    assert page.status_code == 200
    assert WORDS in text and "rita" in text and "Payments" in text
    assert "waiting" in text and "Approve these words" in text and "Reject these words" in text
    # A mail scanner following the link approves nothing.
    assert not Approval.objects.filter(custom_text=custom).exists()
    assert not approvals.custom_text_approved(custom)


def test_one_click_approves_once_and_the_audit_says_it_came_through_the_link(
    custom: CustomTextRequest, legal: User
) -> None:
    lou, link = _signed_in(legal), _link("lou@example.com")

    answer = lou.post(link, {"decision": "approve"}, follow=True)

    assert "Approved." in answer.content.decode()
    assert approvals.custom_text_approved(CustomTextRequest.objects.get(pk=custom.pk))
    event = AuditEvent.objects.get(action="custom_text.approved")
    assert (event.actor_label, event.target_id, event.data) == (
        "lou",
        custom.public_id,
        {"via": "link"},
    )
    # Replayed: a clear page, and nothing changes.
    again = lou.post(link, {"decision": "approve"})
    assert again.status_code == 409
    assert "You already approved these words; nothing was changed." in again.content.decode()
    assert Approval.objects.filter(custom_text=custom).count() == 1


def test_rejecting_through_the_link_needs_a_reason_and_the_author_is_told(
    custom: CustomTextRequest, legal: User, django_capture_on_commit_callbacks: Any
) -> None:
    lou, link, sue_link = _signed_in(legal), _link("lou@example.com"), _link("sue@example.com")
    mail.outbox.clear()

    empty = lou.post(link, {"decision": "reject", "reason": "  "})
    assert empty.status_code == 400
    assert "Say why you reject these words" in empty.content.decode()
    assert not Rejection.objects.filter(custom_text=custom).exists()

    with django_capture_on_commit_callbacks(execute=True):
        lou.post(link, {"decision": "reject", "reason": "Name no provider."})

    rejection = Rejection.objects.get(custom_text=custom)
    assert (rejection.custom_text_id, rejection.rejecter) == (custom.pk, legal)
    [told] = mail.outbox
    assert told.to == ["rita@example.com"] and "Name no provider." in told.body
    event = AuditEvent.objects.get(action="custom_text.rejected")
    assert event.data == {"reason": "Name no provider.", "via": "link"}
    # The other approver's link now says the words were decided.
    late = _signed_in(User.objects.get(username="sue")).get(sue_link)
    assert late.status_code == 409
    assert "These words were rejected already" in late.content.decode()


def test_another_approvers_link_expired_or_tampered_links_change_nothing(
    custom: CustomTextRequest, legal: User, support: User
) -> None:
    lou_link, sue = _link("lou@example.com"), _signed_in(support)

    other = sue.post(lou_link, {"decision": "approve"})
    assert other.status_code == 403
    assert "This link was sent to another approver." in other.content.decode()

    broken = sue.get(_link("sue@example.com")[:-6] + "x/")
    assert broken.status_code == 400
    assert "This link is not valid" in broken.content.decode()

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        expired = sue.post(_link("sue@example.com"), {"decision": "approve"})
    assert expired.status_code == 410
    assert "This link has expired." in expired.content.decode()
    assert not Approval.objects.filter(custom_text=custom).exists()


def test_a_link_for_words_other_than_those_it_was_sent_for_is_refused(
    custom: CustomTextRequest, legal: User
) -> None:
    # Signed correctly, but for a different text behind the same id.
    token = signing.dumps(
        [legal.pk, "c", custom.public_id, "0" * 12], salt=links.SALT, compress=True
    )

    answer = _signed_in(legal).post(
        reverse("console:decide", args=[token]), {"decision": "approve"}
    )

    assert answer.status_code == 409
    assert "The words changed after this link was sent." in answer.content.decode()
    assert not Approval.objects.filter(custom_text=custom).exists()


def test_the_author_cannot_approve_their_own_words_even_with_a_link(
    payments: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    # Ann responds and approves; she is never sent a link for her own words...
    ann = staff_user("ann", roles.RESPONDER, roles.APPROVER_SUPPORT)
    staff_user("lou", roles.APPROVER_LEGAL)
    with django_capture_on_commit_callbacks(execute=True):
        words = approvals.custom_text_request(
            actor=Actor.staff(ann, channel="console"),
            body=WORDS,
            phase="identified",
            incident=payments,
        )
    assert [m.to for m in mail.outbox] == [["lou@example.com"]]
    # ...and one made for her anyway decides nothing.
    link = reverse("console:decide", args=[links.token_for(approver_id=ann.pk, words=words)])

    answer = _signed_in(ann).post(link, {"decision": "approve"})

    assert answer.status_code == 403
    assert "You wrote these words: another approver must decide." in answer.content.decode()
    assert not Approval.objects.filter(custom_text=words).exists()


def test_signed_out_the_link_asks_for_sign_in_and_comes_back(
    custom: CustomTextRequest, legal: User
) -> None:
    link = _link("lou@example.com")

    answer = Client().get(link)

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("console:login"))
    assert "next=" in answer["Location"] and link.split("/")[3][:20] in answer["Location"]
    assert not Approval.objects.filter(custom_text=custom).exists()


def test_a_template_version_is_decided_through_its_link(
    legal: User, support: User, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    cole = staff_user("cole", roles.COMMUNICATOR)
    with django_capture_on_commit_callbacks(execute=True):
        version = approvals.template_version_submit(
            actor=Actor.staff(cole, channel="console"),
            name="Payments slow",
            phase="investigating",
            body="We are investigating slow payments. Next update by {next_update_at}.",
        )
    lou, sue = _signed_in(legal), _signed_in(support)

    lou.post(_link("lou@example.com"), {"decision": "approve"})
    sue.post(_link("sue@example.com"), {"decision": "approve"})

    assert approvals.version_approved(type(version).objects.get(pk=version.pk))
    assert decisions.REASON_MAX_LENGTH  # the page's limit is the service's
