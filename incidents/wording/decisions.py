"""Approvers' decisions on submitted words: a yes (an approval) or a no (a rejection, with
the reason its author is emailed). approvals.py says what the yeses add up to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import Approval, AuditAction, CustomTextRequest, Rejection, TemplateVersion
from incidents.wording.approved import words_approved

REASON_MAX_LENGTH = 2000


class AlreadyDecided(ValidationError):
    """The words were rejected, or (for a rejection) already approved: that decision
    stands. The staff API answers 409."""


def _decider(
    actor: Actor, subject: TemplateVersion | CustomTextRequest | None, qualifier: str, *, verb: str
) -> tuple[User, str]:
    """Who decides, and as which approver kind. A yes and a no follow one rule: an
    approver, as a kind they hold, never on their own words."""
    roles.require_permission(actor, roles.APPROVE_WORDING)
    if subject is None or actor.user is None:
        raise PermissionError(f"only a person may {verb}, and a version or a custom text")
    held = roles.qualifiers(actor.user)
    if not held:
        raise PermissionError(f"{actor.label} is not an approver")
    qualifier = qualifier or held[0]
    if qualifier not in held:
        raise ValidationError({"qualifier": [f"You do not {verb} as {qualifier}."]})
    if subject.author_id == actor.user.pk:
        key = "approval" if verb == "approve" else "rejection"
        raise ValidationError({key: [f"Nobody {verb}s their own words."]})
    return actor.user, qualifier


def _locked(subject: TemplateVersion | CustomTextRequest) -> TemplateVersion | CustomTextRequest:
    """The words' row, locked, with their decisions read after the lock: an approval and a
    rejection of the same words take turns, so no words are ever both."""
    rows = type(subject).objects.select_for_update().prefetch_related("approvals", "rejections")
    return rows.get(pk=subject.pk)


def approval_give(
    *,
    actor: Actor,
    version: TemplateVersion | None = None,
    custom_text: CustomTextRequest | None = None,
    qualifier: str = "",
    via: str = "",
    now: datetime | None = None,
) -> Approval:
    """One approver's yes. Refused for their own words, twice, without the role, or for
    rejected words (AlreadyDecided). `via` ("link": the signed link sent to the approver)
    is kept in the audit event."""
    subject = version or custom_text
    approver, qualifier = _decider(actor, subject, qualifier, verb="approve")
    assert subject is not None
    if subject.approvals.filter(approver=approver).exists():
        raise ValidationError({"approval": ["You have already approved these words."]})
    now = now or timezone.now()
    with transaction.atomic():
        if _locked(subject).rejections.all():
            raise AlreadyDecided(
                {"approval": ["These words were rejected, so they can never be approved."]}
            )
        approval = Approval.objects.create(
            template_version=version,
            custom_text=custom_text,
            approver=approver,
            qualifier=qualifier,
            at=now,
        )
        if version is not None:
            audit_record(
                actor=actor,
                action=AuditAction.TEMPLATE_VERSION_APPROVED,
                target=version.template,
                summary=f"Approved {version.template.name!r} v{version.number} as {qualifier}",
                at=now,
                data={"via": via} if via else None,
            )
        elif custom_text is not None:
            audit_record(
                actor=actor,
                action=AuditAction.CUSTOM_TEXT_APPROVED,
                target=custom_text,
                summary=f"Approved custom {custom_text.phase} text as {qualifier}",
                at=now,
                data={"via": via} if via else None,
            )
    return approval


def rejection_give(
    *,
    actor: Actor,
    reason: str,
    version: TemplateVersion | None = None,
    custom_text: CustomTextRequest | None = None,
    qualifier: str = "",
    via: str = "",
    now: datetime | None = None,
) -> Rejection:
    """One approver's no, with a reason the author is emailed. Final: rejected words leave
    the approvals queue and are never approved; the author writes new words (a new version,
    a new request). Words short of their approvals may be rejected; words already approved
    or rejected may not (AlreadyDecided).

    Who may reject is who may approve, so the author may not: rejecting one's own words
    would be harmless, but one rule for every decision is easier to trust, and an author
    who thinks better of their words simply writes new ones.
    """
    subject = version or custom_text
    rejecter, qualifier = _decider(actor, subject, qualifier, verb="reject")
    assert subject is not None
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: the author is sent the reason."]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": [f"At most {REASON_MAX_LENGTH} characters."]})
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(subject)
        if locked.rejections.all():
            raise AlreadyDecided({"rejection": ["These words were already rejected."]})
        if words_approved(locked):
            raise AlreadyDecided({"rejection": ["These words are already approved."]})
        rejection = Rejection.objects.create(
            template_version=version,
            custom_text=custom_text,
            rejecter=rejecter,
            qualifier=qualifier,
            reason=reason,
            at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.TEMPLATE_VERSION_REJECTED
            if version is not None
            else AuditAction.CUSTOM_TEXT_REJECTED,
            target=version.template if version is not None else subject,
            summary=f"Rejected {_described(rejection)} as {qualifier}",
            at=now,
            data={"reason": reason} | ({"via": via} if via else {}),
        )
        enqueue_on_commit(
            "incidents.tasks.author_notify_rejected", rejection.pk, fallback=Fallback.HERE
        )
    return rejection


def _described(rejection: Rejection) -> str:
    if (version := rejection.template_version) is not None:
        return f"template {version.template.name!r} v{version.number}"
    assert rejection.custom_text is not None
    return f"custom {rejection.custom_text.phase} text"


@dataclass(frozen=True)
class RejectionNotice:
    """What the author of rejected words is told, and where they write new ones."""

    to: str
    what: str
    by: str
    reason: str
    path: str


def rejection_notice(rejection_id: int) -> RejectionNotice | None:
    """None when the author has no email address to tell."""
    rejection = Rejection.objects.select_related(
        "rejecter",
        "template_version__template",
        "template_version__author",
        "custom_text__author",
        "custom_text__incident",
        "custom_text__maintenance",
    ).get(pk=rejection_id)
    subject = rejection.template_version or rejection.custom_text
    assert subject is not None
    if not subject.author.email:
        return None
    custom = rejection.custom_text
    if custom is None:
        path = reverse("console:templates")
    elif custom.incident is not None:
        path = reverse("console:incident_detail", args=[custom.incident.public_id])
    elif custom.maintenance is not None:
        path = reverse("console:maintenance_detail", args=[custom.maintenance.public_id])
    else:
        path = reverse("console:incident_new")
    return RejectionNotice(
        to=subject.author.email,
        what=_described(rejection),
        by=f"{rejection.rejecter.get_username()} ({rejection.get_qualifier_display()})",
        reason=rejection.reason,
        path=path,
    )
