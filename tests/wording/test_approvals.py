"""Approving words: two people, the right kinds, and words that cannot change after."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from incidents import approvals, roles
from incidents.audit import Actor
from incidents.models import AuditEvent, TemplateVersion
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

    approvals.approval_give(actor=_as(legal), version=version)
    assert version not in approvals.usable_versions("investigating")  # one kind is not enough

    approvals.approval_give(actor=_as(support), version=version)
    assert version in approvals.usable_versions("investigating")
    assert AuditEvent.objects.filter(action="template.approved").count() == 2


def test_two_approvers_of_one_kind_are_not_one_of_each(writer: User, legal: User) -> None:
    version = _submit(writer)
    approvals.approval_give(actor=_as(legal), version=version)
    approvals.approval_give(actor=_as(staff_user("lee", roles.APPROVER_LEGAL)), version=version)

    assert version not in approvals.usable_versions("investigating")


def test_nobody_approves_their_own_words(legal: User) -> None:
    legal.groups.add(*Group.objects.filter(name=roles.COMMUNICATOR))
    version = _submit(legal)

    with pytest.raises(ValidationError, match="Nobody approves their own words"):
        approvals.approval_give(actor=_as(legal), version=version)
    custom = approvals.custom_text_request(actor=_as(legal), body="All fine.", phase="resolved")
    with pytest.raises(ValidationError, match="Nobody approves their own words"):
        approvals.approval_give(actor=_as(legal), custom_text=custom)
    assert not version.approvals.exists() and not custom.approvals.exists()


def test_nobody_approves_twice_and_only_approvers_approve(
    writer: User, legal: User, responder: User
) -> None:
    version = _submit(writer)
    approvals.approval_give(actor=_as(legal), version=version)
    with pytest.raises(ValidationError, match="already approved"):
        approvals.approval_give(actor=_as(legal), version=version)
    with pytest.raises(PermissionError):
        approvals.approval_give(actor=_as(responder), version=version)


def test_editing_writes_a_new_version_and_the_approved_one_stays_in_use(
    writer: User, legal: User, support: User
) -> None:
    first = _submit(writer)
    for approver in (legal, support):
        approvals.approval_give(actor=_as(approver), version=first)

    second = approvals.template_version_submit(
        actor=_as(writer), template=first.template, body=BODY.replace("problems", "errors")
    )

    assert (first.number, second.number) == (1, 2)
    first.refresh_from_db()
    assert first.body == BODY
    assert _usable(first) == [first]  # until v2 is approved
    for approver in (legal, support):
        approvals.approval_give(actor=_as(approver), version=second)
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
    "table", ["templateversion", "approval", "customtextrequest", "wordingrule"]
)
def test_the_database_refuses_to_change_approved_words(
    writer: User, legal: User, table: str
) -> None:
    version = _submit(writer)
    approvals.approval_give(actor=_as(legal), version=version)
    approvals.custom_text_request(actor=_as(writer), body="All fine.", phase="resolved")
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

    [message] = mail.outbox
    assert sorted(message.to) == ["lou@example.com", "sue@example.com"]
    assert "/console/approvals/" in message.body
    assert "{components}" not in message.body  # the words stay in the console
