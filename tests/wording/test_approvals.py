"""Approving words: two people, the right kinds, and words that cannot change after."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from incidents import roles
from incidents.audit import Actor
from incidents.models import AuditEvent, Rejection, TemplateVersion
from incidents.wording import approvals, decisions
from incidents.wording.decisions import AlreadyDecided
from tests.conftest import staff_user

pytestmark = [pytest.mark.wording, pytest.mark.django_db]

BODY = "We are investigating problems with {components}. Next update by {next_update_at}."


def _as(user: User) -> Actor:
    return Actor.staff(user, channel="console")


@pytest.fixture
def writer(db: None) -> User:
    """Cole, a Communicator who writes templates."""
    return staff_user("cole", roles.COMMUNICATOR)


def _usable(version: TemplateVersion) -> list[TemplateVersion]:
    return [v for v in approvals.usable_versions("investigating") if v.template == version.template]


def _submit(writer: User, body: str = BODY) -> TemplateVersion:
    return approvals.template_version_submit(
        actor=_as(writer), name="Looking", phase="investigating", body=body
    )


def test_a_version_is_usable_once_legal_and_support_approved_it(
    writer: User, legal: User, support: User
) -> None:
    version = _submit(writer)
    assert version not in approvals.usable_versions("investigating")

    decisions.approval_give(actor=_as(legal), version=version)
    assert version not in approvals.usable_versions("investigating")  # one kind is not enough

    decisions.approval_give(actor=_as(support), version=version)
    assert version in approvals.usable_versions("investigating")
    assert AuditEvent.objects.filter(action="template.approved").count() == 2


def test_two_approvers_of_one_kind_are_not_one_of_each(writer: User, legal: User) -> None:
    version = _submit(writer)
    decisions.approval_give(actor=_as(legal), version=version)
    decisions.approval_give(actor=_as(staff_user("lee", roles.APPROVER_LEGAL)), version=version)

    assert version not in approvals.usable_versions("investigating")


def test_nobody_approves_their_own_words(legal: User) -> None:
    legal.groups.add(*Group.objects.filter(name=roles.COMMUNICATOR))
    version = _submit(legal)

    with pytest.raises(ValidationError, match="Nobody approves their own words"):
        decisions.approval_give(actor=_as(legal), version=version)
    custom = approvals.custom_text_request(actor=_as(legal), body="All fine.", phase="resolved")
    with pytest.raises(ValidationError, match="Nobody approves their own words"):
        decisions.approval_give(actor=_as(legal), custom_text=custom)
    assert not version.approvals.exists() and not custom.approvals.exists()


def test_nobody_approves_twice_and_only_approvers_approve(
    writer: User, legal: User, responder: User
) -> None:
    version = _submit(writer)
    decisions.approval_give(actor=_as(legal), version=version)
    with pytest.raises(ValidationError, match="already approved"):
        decisions.approval_give(actor=_as(legal), version=version)
    with pytest.raises(PermissionError):
        decisions.approval_give(actor=_as(responder), version=version)


def test_editing_writes_a_new_version_and_the_approved_one_stays_in_use(
    writer: User, legal: User, support: User
) -> None:
    first = _submit(writer)
    for approver in (legal, support):
        decisions.approval_give(actor=_as(approver), version=first)

    second = approvals.template_version_submit(
        actor=_as(writer), template=first.template, body=BODY.replace("problems", "errors")
    )

    assert (first.number, second.number) == (1, 2)
    first.refresh_from_db()
    assert first.body == BODY
    assert _usable(first) == [first]  # until v2 is approved
    for approver in (legal, support):
        decisions.approval_give(actor=_as(approver), version=second)
    assert _usable(first) == [second]


def test_an_approved_version_cannot_be_changed_by_the_orm(
    writer: User, legal: User, support: User
) -> None:
    version = _submit(writer)
    version.body = "We guarantee everything."
    with pytest.raises(PermissionError):
        version.save()
    with pytest.raises(PermissionError):
        TemplateVersion.objects.filter(pk=version.pk).update(body="x")
    with pytest.raises(PermissionError):
        version.delete()


@pytest.mark.parametrize(
    "table", ["templateversion", "approval", "rejection", "customtextrequest", "wordingrule"]
)
def test_the_database_refuses_to_change_approved_words(
    writer: User, legal: User, table: str
) -> None:
    version = _submit(writer)
    decisions.approval_give(actor=_as(legal), version=version)
    approvals.custom_text_request(actor=_as(writer), body="All fine.", phase="resolved")
    vague = approvals.custom_text_request(actor=_as(writer), body="It is fine.", phase="resolved")
    decisions.rejection_give(actor=_as(legal), custom_text=vague, reason="Too vague.")
    column = {"templateversion": "body", "customtextrequest": "body"}.get(table, "id")
    for statement in [
        f"UPDATE incidents_{table} SET {column} = {column}",  # noqa: S608 - fixed names
        f"DELETE FROM incidents_{table}",  # noqa: S608
    ]:
        with (
            pytest.raises(DatabaseError, match="write-once"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert TemplateVersion.objects.get(pk=version.pk).body == BODY


def test_a_template_breaking_the_policy_is_refused_with_the_reasons(writer: User) -> None:
    with pytest.raises(ValidationError) as refused:
        _submit(writer, "Our seamless {components} are down. We guarantee a fix.")
    assert [v.rule for v in refused.value.violations] == [  # type: ignore[attr-defined]
        "marketing-speak",
        "promise-guarantee",
        "next-update-time",
    ]
    assert not TemplateVersion.objects.filter(template__name="Looking").exists()


def test_an_unknown_placeholder_is_refused(writer: User) -> None:
    with pytest.raises(ValidationError, match="Unknown placeholder"):
        _submit(writer, "Problems with {component}. Next update by {next_update_at}.")


def test_approvers_are_emailed_when_words_wait_for_them(
    writer: User, legal: User, support: User, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _submit(writer)

    # One message each: every approver's link is signed for them alone.
    assert sorted(m.to[0] for m in mail.outbox) == ["lou@example.com", "sue@example.com"]
    for message in mail.outbox:
        assert "/console/decide/" in message.body
        assert "{components}" not in message.body  # the words stay in the console


# -- rejecting ---------------------------------------------------------------------------------


def test_rejected_words_can_never_be_approved_and_the_author_writes_new_ones(
    writer: User, legal: User, support: User, settings: Any
) -> None:
    version = _submit(writer)
    decisions.approval_give(actor=_as(legal), version=version)  # one of two: still pending

    decisions.rejection_give(actor=_as(support), version=version, reason="Sounds unsure.")

    sam = staff_user("sam", roles.APPROVER_SUPPORT)
    with pytest.raises(AlreadyDecided, match="can never be approved"):
        decisions.approval_give(actor=_as(sam), version=version)
    settings.CANDOR_TEMPLATE_APPROVALS = ["legal"]  # the one approval it has would now do
    assert version not in approvals.usable_versions("investigating")
    assert AuditEvent.objects.filter(action="template.rejected", actor_label="sue").exists()

    second = approvals.template_version_submit(
        actor=_as(writer), template=version.template, body=BODY.replace("problems", "errors")
    )
    decisions.approval_give(actor=_as(legal), version=second)
    assert _usable(version) == [second]


def test_a_rejection_needs_a_reason_an_approver_and_someone_else_s_words(
    writer: User, legal: User, responder: User
) -> None:
    version = _submit(writer)
    with pytest.raises(ValidationError, match="Say why"):
        decisions.rejection_give(actor=_as(legal), version=version, reason="  ")
    with pytest.raises(PermissionError):
        decisions.rejection_give(actor=_as(responder), version=version, reason="No.")
    legal.groups.add(*Group.objects.filter(name=roles.COMMUNICATOR))
    legal = User.objects.get(pk=legal.pk)  # without the permissions it had cached
    own = _submit(legal, BODY.replace("problems", "trouble"))
    with pytest.raises(ValidationError, match="Nobody rejects their own words"):
        decisions.rejection_give(actor=_as(legal), version=own, reason="Second thoughts.")
    assert not Rejection.objects.exists()


def test_approved_words_are_not_rejected_and_rejected_words_not_twice(
    writer: User, legal: User, support: User
) -> None:
    approved = approvals.custom_text_request(actor=_as(writer), body="All fine.", phase="resolved")
    decisions.approval_give(actor=_as(legal), custom_text=approved)
    with pytest.raises(AlreadyDecided, match="already approved"):
        decisions.rejection_give(actor=_as(support), custom_text=approved, reason="Late no.")

    rejected = approvals.custom_text_request(actor=_as(writer), body="Fine now.", phase="resolved")
    decisions.rejection_give(actor=_as(legal), custom_text=rejected, reason="Say what changed.")
    with pytest.raises(AlreadyDecided, match="already rejected"):
        decisions.rejection_give(actor=_as(support), custom_text=rejected, reason="Agreed.")
    assert Rejection.objects.count() == 1


def test_the_author_is_emailed_the_reason_but_not_the_words(
    writer: User, legal: User, django_capture_on_commit_callbacks: Any
) -> None:
    custom = approvals.custom_text_request(actor=_as(writer), body="All fine.", phase="resolved")
    mail.outbox.clear()  # the approvers' notice
    with django_capture_on_commit_callbacks(execute=True):
        decisions.rejection_give(
            actor=_as(legal), custom_text=custom, reason="Say which services recovered."
        )

    [message] = mail.outbox
    assert message.to == ["cole@example.com"]
    assert "rejected" in message.subject
    assert "lou (Legal) rejected your custom resolved text" in message.body
    assert "Say which services recovered." in message.body
    assert "/console/incidents/new/" in message.body  # where new words are written
    assert "All fine." not in message.body
