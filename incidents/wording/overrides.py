"""Emergency overrides: an Admin publishes words that are not approved, saying why, and an
approver who did not override reviews it after the fact."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.models import AuditAction, Incident, Maintenance, OverrideReview
from incidents.wording.approvals import Basis


def override_record(
    *,
    actor: Actor,
    reason: str,
    body: str,
    phase: str,
    target: Incident | Maintenance,
    now: datetime,
) -> Basis:
    """An Admin's emergency publication of unapproved words: audited, queued for review.
    Runs inside the caller's transaction, so it exists exactly when the update does."""
    if actor.user is None or not actor.user.has_perm(roles.OVERRIDE_WORDING):
        raise PermissionError("only an Admin may override the wording policy")
    if not reason.strip():
        raise ValidationError({"override_reason": ["An override needs a reason."]})
    review = OverrideReview.objects.create(
        phase=phase,
        body=body,
        reason=reason.strip(),
        target_type=type(target).__name__.lower(),
        target_id=target.public_id,
        actor_label=actor.label,
        at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.WORDING_OVERRIDDEN,
        target=target,
        summary=f"Overrode the wording policy: {reason.strip()}",
        at=now,
        data={"review": review.public_id, "phase": phase},
    )
    return Basis("override", review.public_id)


def override_review_close(
    *, actor: Actor, review: OverrideReview, note: str, now: datetime | None = None
) -> OverrideReview:
    """The mandatory after-the-fact review, by an approver who did not override."""
    roles.require_permission(actor, roles.APPROVE_WORDING)
    if not note.strip():
        raise ValidationError({"note": ["Say what the review found."]})
    now = now or timezone.now()
    with transaction.atomic():
        review = OverrideReview.objects.select_for_update().get(pk=review.pk)
        if review.reviewed_at is not None:
            raise ValidationError({"note": ["This override was already reviewed."]})
        if review.actor_label == actor.label:
            raise ValidationError({"note": ["Nobody reviews their own override."]})
        review.reviewed_by = actor.user
        review.reviewed_at = now
        review.review_note = note.strip()
        review.save()
        audit_record(
            actor=actor,
            action=AuditAction.OVERRIDE_REVIEWED,
            target=review,
            summary=f"Reviewed override {review.public_id}",
            at=now,
        )
    return review
