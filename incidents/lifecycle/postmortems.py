"""Postmortems: a responder writes one for a resolved incident, two approvers (legal and
support, as CANDOR_TEMPLATE_APPROVALS says for template words) approve exactly that
revision (or one rejects it, saying why), and a responder publishes it. Draft, approvals,
publish; a change after the approvals is a new revision that needs them again, and a
published postmortem stays public as it was until the new revision is approved and
published.

The words follow an approved postmortem template's sections and pass the wording policy
(incidents/wording/postmortems.py) when saved, and again when published (the policy may
have changed in between).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents import roles, wording
from incidents.audit import Actor, audit_record
from incidents.lifecycle.posting import public_change
from incidents.models import (
    AuditAction,
    Incident,
    IncidentStatus,
    NotifyScope,
    Postmortem,
    PostmortemApproval,
    PostmortemRejection,
    PostmortemRevision,
    TemplateVersion,
)
from incidents.notify.costs.forecast import Forecast, send_forecast
from incidents.notify.costs.gate import notify_send, scope_check
from incidents.postmortem_timeline import incident_timeline
from incidents.publish.changes import incident_scope
from incidents.rendering import render_markdown
from incidents.text import text_problem
from incidents.wording import postmortems as words
from incidents.wording.decisions import REASON_MAX_LENGTH


def revision_rejection(revision: PostmortemRevision) -> PostmortemRejection | None:
    return PostmortemRejection.objects.filter(revision=revision).first()


def revision_approved(revision: PostmortemRevision) -> bool:
    """Approved by the kinds CANDOR_TEMPLATE_APPROVALS names, and never rejected.
    Prefetch "approvals"."""
    return revision_rejection(revision) is None and words.approvals_satisfied(
        (a.qualifier for a in revision.approvals.all()), settings.CANDOR_TEMPLATE_APPROVALS
    )


def latest_revision(postmortem: Postmortem) -> PostmortemRevision | None:
    return (
        postmortem.revisions.select_related("author", "template_version__template")
        .prefetch_related("approvals__approver")
        .order_by("-number")
        .first()
    )


def draft_start(incident: Incident, version: TemplateVersion) -> str:
    """What a new postmortem starts as: the template filled in for the incident, with the
    timeline generated from its updates, status changes and reminders."""
    values = wording.values_for(
        title=incident.name,
        component_names=[c.name for c in incident.components.order_by("position", "name")],
        started_at=incident.started_at,
    )
    return words.draft_from_template(version.body, values, timeline=incident_timeline(incident))


def _words_check(body: str, version: TemplateVersion) -> None:
    if not body.strip():
        raise ValidationError({"body": ["This field is required."]})
    if problem := text_problem(body, max_len=words.MAX_CHARS, multiline=True):
        raise ValidationError({"body": [f"This text {problem}"]})
    if missing := words.sections_missing(body, version.body):
        raise ValidationError(
            {
                "body": [
                    "Keep the template's sections, in order; missing: "
                    + ", ".join(f"“{name}”" for name in missing)
                    + "."
                ]
            }
        )
    if violations := words.check(body):
        raise wording.WordingRefused("These words break the wording policy.", violations)


def postmortem_save(
    *,
    actor: Actor,
    incident: Incident,
    body: str,
    template_version: TemplateVersion,
    now: datetime | None = None,
) -> PostmortemRevision:
    """Save a postmortem's words as its next revision (the first creates the postmortem).
    Approvals of earlier revisions do not carry over."""
    roles.require_permission(actor, roles.POST_UPDATES)
    if actor.user is None:
        raise PermissionError("postmortems are written by a person")
    if incident.status != IncidentStatus.RESOLVED:
        raise ValidationError({"incident": ["Write the postmortem once the incident is resolved."]})
    if not words.template_usable(template_version):
        raise ValidationError({"template": ["Start from an approved postmortem template."]})
    _words_check(body, template_version)
    now = now or timezone.now()
    with transaction.atomic():
        postmortem, _ = Postmortem.objects.select_for_update().get_or_create(
            incident=incident, defaults={"created_at": now}
        )
        number = (postmortem.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        revision = PostmortemRevision.objects.create(
            postmortem=postmortem,
            number=number,
            body=wording.normal_text(body),
            template_version=template_version,
            author=actor.user,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.POSTMORTEM_SAVED,
            target=incident,
            summary=f"Saved the postmortem of {incident.name!r}, revision {number}",
            at=now,
            data={"postmortem": postmortem.public_id, "revision": number},
        )
    return revision


def _decider(
    actor: Actor, revision: PostmortemRevision, qualifier: str, *, key: str
) -> tuple[User, str]:
    """As which approver kind `actor` decides on `revision`: one they hold, never on their
    own words (the rule of wording/decisions.py)."""
    roles.require_permission(actor, roles.APPROVE_WORDING)
    if actor.user is None:
        raise PermissionError("only a person decides on words")
    held = roles.qualifiers(actor.user)
    if not held:
        raise PermissionError(f"{actor.label} is not an approver")
    qualifier = qualifier or held[0]
    if qualifier not in held:
        raise ValidationError({"qualifier": [f"You do not decide as {qualifier}."]})
    if revision.author_id == actor.user.pk:
        verb = "approves" if key == "approval" else "rejects"
        raise ValidationError({key: [f"Nobody {verb} their own words."]})
    return actor.user, qualifier


def _locked_newest(revision: PostmortemRevision, *, key: str) -> Postmortem:
    """The postmortem, locked (decisions on it take turns), if `revision` is its newest
    and not rejected."""
    postmortem = Postmortem.objects.select_for_update().get(pk=revision.postmortem_id)
    if revision.number != postmortem.revisions.aggregate(n=Max("number"))["n"]:
        raise ValidationError({key: ["A newer revision replaced these words."]})
    if revision_rejection(revision) is not None:
        raise ValidationError({key: ["These words were rejected; save a new revision."]})
    return postmortem


def postmortem_approve(
    *, actor: Actor, revision: PostmortemRevision, qualifier: str = "", now: datetime | None = None
) -> PostmortemApproval:
    """One approver's yes to the newest revision: as a kind they hold, never their own
    words, never twice, never for rejected words."""
    approver, qualifier = _decider(actor, revision, qualifier, key="approval")
    now = now or timezone.now()
    with transaction.atomic():
        postmortem = _locked_newest(revision, key="approval")
        if revision.approvals.filter(approver=approver).exists():
            raise ValidationError({"approval": ["You have already approved these words."]})
        approval = PostmortemApproval.objects.create(
            revision=revision, approver=approver, qualifier=qualifier, at=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.POSTMORTEM_APPROVED,
            target=postmortem.incident,
            summary=f"Approved the postmortem of {postmortem.incident.name!r}, revision "
            f"{revision.number}, as {qualifier}",
            at=now,
            data={"postmortem": postmortem.public_id, "revision": revision.number},
        )
    return approval


def postmortem_reject(
    *,
    actor: Actor,
    revision: PostmortemRevision,
    reason: str,
    qualifier: str = "",
    now: datetime | None = None,
) -> PostmortemRejection:
    """One approver's no to the newest revision, saying why (shown to the author on the
    postmortem page). Words already approved may not be rejected; the author writes a new
    revision instead of rejected words."""
    rejecter, qualifier = _decider(actor, revision, qualifier, key="rejection")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: the author reads the reason."]})
    if problem := text_problem(reason, max_len=REASON_MAX_LENGTH, multiline=True):
        raise ValidationError({"reason": [f"This text {problem}"]})
    now = now or timezone.now()
    with transaction.atomic():
        postmortem = _locked_newest(revision, key="rejection")
        fresh = PostmortemRevision.objects.prefetch_related("approvals").get(pk=revision.pk)
        if revision_approved(fresh):
            raise ValidationError({"rejection": ["These words are already approved."]})
        rejection = PostmortemRejection.objects.create(
            revision=revision, rejecter=rejecter, qualifier=qualifier, reason=reason, at=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.POSTMORTEM_REJECTED,
            target=postmortem.incident,
            summary=f"Rejected the postmortem of {postmortem.incident.name!r}, revision "
            f"{revision.number}, as {qualifier}",
            at=now,
            data={
                "postmortem": postmortem.public_id,
                "revision": revision.number,
                "reason": reason,
            },
        )
    return rejection


def postmortem_forecast(*, postmortem: Postmortem, scope: str) -> Forecast:
    """What publishing `postmortem` with `scope` would send (the console and the API show
    it before publishing): the subscribers `postmortem_publish` would write rows for."""
    scope_check(scope)
    incident = postmortem.incident
    return send_forecast(
        update=postmortem,
        component_ids=incident.components.values_list("pk", flat=True),
        scope=scope,
    )


def postmortem_publish(
    *,
    actor: Actor,
    postmortem: Postmortem,
    notify: str = NotifyScope.NONE,
    confirmed_cost: Decimal | None = None,
    now: datetime | None = None,
) -> Postmortem:
    """Publish the newest revision, once approved: on the incident page, in the feeds, the
    v2 JSON and the static snapshot (the public change).

    `notify` (off unless asked): tell the subscribers of the incident's components and
    its followers, through the outbox as an update's message goes, all of them or email
    and chat only, under the SMS cost cap (`confirmed_cost`). Each is told once per
    postmortem: publishing again, or a replayed request, sends nothing more."""
    roles.require_permission(actor, roles.POST_UPDATES)
    scope_check(notify)
    now = now or timezone.now()
    with transaction.atomic():
        postmortem = (
            Postmortem.objects.select_for_update().select_related("incident").get(pk=postmortem.pk)
        )
        revision = latest_revision(postmortem)
        if revision is None:
            raise ValidationError({"postmortem": ["There is nothing to publish yet."]})
        if postmortem.published_revision_id == revision.pk:
            raise ValidationError({"postmortem": ["This revision is already published."]})
        if not revision_approved(revision):
            raise ValidationError(
                {"postmortem": ["These words need their approvals (legal and support) first."]}
            )
        if violations := words.check(revision.body):  # the policy may have changed since
            raise wording.WordingRefused("These words break the wording policy.", violations)
        first = postmortem.published_at is None
        postmortem.published_revision = revision
        postmortem.published_body = revision.body
        postmortem.published_body_html = render_markdown(revision.body)
        postmortem.published_at = postmortem.published_at or now
        postmortem.body_last_updated_at = now
        postmortem.save()
        incident = postmortem.incident
        incident.updated_at = now
        incident.save(update_fields=["updated_at"])
        sent: dict[str, object] = {"notify": NotifyScope.NONE}
        if notify != NotifyScope.NONE:
            sent = notify_send(
                actor=actor,
                update=postmortem,
                component_ids=incident.components.values_list("pk", flat=True),
                scope=notify,
                confirmed_cost=confirmed_cost,
                now=now,
            )
        audit_record(
            actor=actor,
            action=AuditAction.POSTMORTEM_PUBLISHED,
            target=incident,
            summary=f"Published the postmortem of {incident.name!r}, revision {revision.number}",
            at=now,
            data={
                **sent,
                "postmortem": postmortem.public_id,
                "revision": revision.number,
                "first": first,
                "approvals": [
                    {"approver": a.approver.get_username(), "qualifier": a.qualifier}
                    for a in revision.approvals.all()
                ],
            },
        )
        public_change(incident_scope(incident.public_id))
    return postmortem
