"""The Approvals page: approvers approve words, or reject them saying why."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from incidents import roles
from incidents.audit import Actor
from incidents.models import AuditEvent, CustomTextRequest, Incident, TemplateVersion
from incidents.wording import approvals
from tests.conftest import staff_user

pytestmark = pytest.mark.wording

QUEUE = reverse("console:approvals")
WORDS = "Card payments work again for everyone. Next update by 16:00 UTC."


@pytest.fixture
def lou(legal: User) -> Client:
    client = Client()
    client.force_login(legal)
    return client


@pytest.fixture
def custom(actor: Actor, payments: Incident) -> CustomTextRequest:
    """Rita's words for the incident, waiting for an approver."""
    return approvals.custom_text_request(
        actor=actor, body=WORDS, phase="monitoring", incident=payments
    )


def _reject(client: Client, reason: str, **words: str) -> Any:
    return client.post(QUEUE, {**words, "decision": "reject", "reason": reason}, follow=True)


def test_an_approver_rejects_text_saying_why_and_its_author_is_told(
    lou: Client,
    console: Client,
    custom: CustomTextRequest,
    payments: Incident,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert "Reject this text" in lou.get(QUEUE).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        page = _reject(lou, "Do not promise a time we cannot keep.", custom_text=custom.public_id)

    assert "Rejected. The author is emailed your reason." in page.content.decode()
    assert WORDS not in page.content.decode()  # no longer waiting
    [message] = mail.outbox
    assert message.to == ["rita@example.com"]
    assert "Do not promise a time we cannot keep." in message.body
    assert f"/console/incidents/{payments.public_id}/" in message.body
    event = AuditEvent.objects.get(action="custom_text.rejected")
    assert (event.actor_label, event.target_id) == ("lou", custom.public_id)
    assert event.data == {"reason": "Do not promise a time we cannot keep."}
    # The author sees why on the incident, and cannot use the words.
    detail = console.get(reverse("console:incident_detail", args=[payments.public_id]))
    assert "rejected: Do not promise a time we cannot keep." in detail.content.decode()
    update = {"status": "monitoring", "body": WORDS}
    assert console.post(detail.request["PATH_INFO"], update).status_code == 400


def test_a_rejection_without_a_reason_is_refused(lou: Client, custom: CustomTextRequest) -> None:
    answer = lou.post(QUEUE, {"custom_text": custom.public_id, "decision": "reject"})

    assert answer.status_code == 400
    assert "Say why you reject these words" in answer.content.decode()
    assert not custom.rejections.exists()
    assert WORDS in answer.content.decode()  # still waiting


def test_rejected_text_cannot_be_approved_afterwards(
    lou: Client, support: User, custom: CustomTextRequest
) -> None:
    _reject(lou, "Too early to say.", custom_text=custom.public_id)
    sue = Client()
    sue.force_login(support)

    answer = sue.post(QUEUE, {"custom_text": custom.public_id})

    assert answer.status_code == 400
    assert "can never be approved" in answer.content.decode()
    assert not custom.approvals.exists()
    assert not approvals.custom_text_approved(custom)


def test_an_approver_rejects_a_template_version_and_the_templates_page_says_why(
    lou: Client, support: User
) -> None:
    writer = staff_user("cole", roles.COMMUNICATOR)
    version = approvals.template_version_submit(
        actor=Actor.staff(writer, channel="console"),
        name="Looking",
        phase="investigating",
        body="We are looking into {components}. Next update by {next_update_at}.",
    )
    assert "Reject Looking v1" in lou.get(QUEUE).content.decode()

    _reject(lou, "Say what customers see.", version=str(version.pk))

    assert "Looking</strong> v1" not in lou.get(QUEUE).content.decode()
    page = lou.get(reverse("console:templates")).content.decode()
    assert "rejected</span>" in page
    assert "Rejected by lou (legal): Say what customers see." in page
    event = AuditEvent.objects.get(action="template.rejected")
    assert event.target_id == version.template.public_id
    assert not TemplateVersion.objects.get(pk=version.pk).approvals.exists()


def test_nobody_is_offered_to_reject_their_own_words_nor_may_a_responder(
    console: Client, custom: CustomTextRequest
) -> None:
    assert "Reject this text" not in console.get(QUEUE).content.decode()
    answer = console.post(
        QUEUE, {"custom_text": custom.public_id, "decision": "reject", "reason": "Mine."}
    )
    assert answer.status_code == 403
    assert not custom.rejections.exists()
