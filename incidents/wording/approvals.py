"""Writing and approving words: template versions, custom texts and the policy's rules.
Also: whether words may be published. (Emergency overrides are in overrides.py.)

The approval rules: a template version needs the approvals CANDOR_TEMPLATE_APPROVALS names
(by default one legal and one support approver), a custom text those of
CANDOR_CUSTOM_TEXT_APPROVALS (by default one approver of either kind); nobody approves
their own words, and nobody counts twice. Any one approver may reject words instead, with
a reason: rejected words are never approved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from incidents import roles, wording
from incidents.approvers import notices
from incidents.audit import Actor, audit_record
from incidents.models import (
    AuditAction,
    Channel,
    CustomTextRequest,
    Incident,
    Maintenance,
    MessageTemplate,
    Phase,
    RuleChannel,
    RuleKind,
    TemplateVersion,
    WordingRule,
)
from incidents.text import text_errors
from incidents.wording import detect as wording_detect

# Re-exported: callers ask approvals whether words are approved.
from incidents.wording.approved import approvals_satisfied as approvals_satisfied
from incidents.wording.approved import custom_text_approved as custom_text_approved
from incidents.wording.approved import usable_versions as usable_versions
from incidents.wording.approved import version_approved as version_approved
from incidents.wording.approved import words_approved as words_approved


def template_words(phase: str, values: Mapping[str, str]) -> str | None:
    """The phase's first approved web template, filled in; None when there is none."""
    versions = usable_versions(phase)
    return wording.render(versions[0].body, values) if versions else None


@dataclass(frozen=True)
class Basis:
    """Why words may be published: which approved template or custom text they are."""

    kind: str  # "template", "custom_text" or "override"
    ref: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref}


def approved_basis(
    body: str,
    *,
    phase: str,
    context: wording.MatchContext,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
) -> Basis | None:
    for version in usable_versions(phase):
        if wording.is_rendering(body, version.body, context):
            return Basis("template", f"{version.template.public_id}/v{version.number}")
    # Text approved for no particular incident (written to open one) stands for the phase.
    requests = CustomTextRequest.objects.filter(
        Q(incident=incident, maintenance=maintenance) | Q(incident=None, maintenance=None),
        phase=phase,
        body=wording.normal_text(body),
    ).prefetch_related("approvals", "rejections")
    for request in requests:
        if custom_text_approved(request):
            return Basis("custom_text", request.public_id)
    return None


# -- templates -------------------------------------------------------------------------------


def _check_words(body: str, *, phase: str, channel: str, template: bool) -> None:
    """Refuse words that break the policy (templates: as rendered with sample values)."""
    text = wording.render(body, wording.sample_values()) if template else body
    # A postmortem template is checked as postmortems are (wording/postmortems.py).
    policy_channel = RuleChannel.POSTMORTEM if phase == Phase.POSTMORTEM else None
    violations = wording.check(
        text, channel=policy_channel or wording.channel_for(channel), phase=phase
    )
    if violations:
        raise wording.WordingRefused("These words break the wording policy.", violations)


def template_version_submit(
    *,
    actor: Actor,
    body: str,
    template: MessageTemplate | None = None,
    name: str = "",
    phase: str = "",
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> TemplateVersion:
    """Submit words for a template: a new template, or the next version of `template`.

    Submitted words are final; approvers approve exactly these, and a change is a new
    version that needs its own approvals.
    """
    roles.require_permission(actor, roles.WRITE_TEMPLATES)
    if actor.user is None:
        raise PermissionError("templates are written by a person")
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if template is None:
        if not name.strip():
            errors["name"] = ["This field is required."]
        if phase not in Phase.values:
            errors["phase"] = [f"{phase!r} is not a phase."]
        if channel not in Channel.values:
            errors["channel"] = [f"{channel!r} is not a channel."]
    if not body.strip():
        errors["body"] = ["This field is required."]
    errors = text_errors(single_line={"name": name}, multi_line={"body": body}) | errors
    if errors:
        raise ValidationError(errors)
    wording.parse(body)
    target_phase = template.phase if template else phase
    target_channel = template.channel if template else channel
    _check_words(body, phase=target_phase, channel=target_channel, template=True)
    with transaction.atomic():
        if template is None:
            template, _ = MessageTemplate.objects.get_or_create(
                name=name.strip(), phase=phase, channel=channel, defaults={"created_at": now}
            )
        template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
        latest = template.versions.aggregate(n=Max("number"))["n"] or 0
        version = TemplateVersion.objects.create(
            template=template,
            number=latest + 1,
            body=wording.normal_text(body),
            author=actor.user,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.TEMPLATE_VERSION_SUBMITTED,
            target=template,
            summary=f"Submitted {template.name!r} v{version.number}",
            at=now,
        )
        notices.notices_create(words=version, now=now)
    return version


# -- custom text ----------------------------------------------------------------------------


def custom_text_request(
    *,
    actor: Actor,
    body: str,
    phase: str,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    now: datetime | None = None,
) -> CustomTextRequest:
    """Ask an approver to approve words for one occasion; every approver is told at once
    (email, and SMS where configured) through their outbox (approvers/notices.py)."""
    roles.require_permission(actor, roles.POST_UPDATES)
    if actor.user is None:
        raise PermissionError("custom text is written by a person")
    now = now or timezone.now()
    if not body.strip():
        raise ValidationError({"body": ["This field is required."]})
    if refused := text_errors(multi_line={"body": body}):
        raise ValidationError(refused)
    if phase not in Phase.values:
        raise ValidationError({"phase": [f"{phase!r} is not a phase."]})
    _check_words(body, phase=phase, channel=Channel.WEB, template=False)
    with transaction.atomic():
        request = CustomTextRequest.objects.create(
            phase=phase,
            body=wording.normal_text(body),
            incident=incident,
            maintenance=maintenance,
            author=actor.user,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CUSTOM_TEXT_REQUESTED,
            target=request,
            summary=f"Asked for approval of custom {phase} text",
            at=now,
            data={"incident": incident.public_id if incident else None},
        )
        notices.notices_create(words=request, now=now)
    return request


# -- the policy -----------------------------------------------------------------------------


def rule_candidate(
    *,
    actor: Actor,
    key: str,
    kind: str,
    reason: str,
    pattern: str = "",
    element: str = "",
    limit: int | None = None,
    channel: str = "all",
    scope: str = "all",
    active: bool = True,
    now: datetime | None = None,
    language: str = "",
) -> WordingRule:
    """The next version of a rule as it would be saved, checked, not saved (the console's
    dry run shows what it would flag before an Admin saves it)."""
    roles.require_permission(actor, roles.MANAGE_POLICY)
    candidate = WordingRule(
        key=key,
        version=1,
        kind=kind,
        reason=reason,
        pattern=pattern,
        element=element,
        limit=limit,
        channel=channel,
        scope=scope,
        language=language,
        active=active,
        author=actor.user,
        created_at=now or timezone.now(),
    )
    candidate.full_clean(exclude=["version"])
    _check_rule(candidate)
    return candidate


def rule_save(
    *,
    actor: Actor,
    key: str,
    kind: str,
    reason: str,
    pattern: str = "",
    element: str = "",
    limit: int | None = None,
    channel: str = "all",
    scope: str = "all",
    active: bool = True,
    now: datetime | None = None,
    language: str = "",
) -> WordingRule:
    """Write the next version of a rule (the first, for a new key). Older versions stay."""
    now = now or timezone.now()
    candidate = rule_candidate(
        actor=actor, key=key, kind=kind, reason=reason, pattern=pattern, element=element,
        limit=limit, channel=channel, scope=scope, active=active, now=now, language=language,
    )  # fmt: skip
    with transaction.atomic():
        latest = WordingRule.objects.filter(key=key).select_for_update().order_by("-version")
        previous = latest.first()
        candidate.version = previous.version + 1 if previous else 1
        candidate.save()
        audit_record(
            actor=actor,
            action=AuditAction.POLICY_RULE_SAVED,
            target=candidate,
            summary=f"Saved wording rule {key!r} v{candidate.version}"
            + ("" if active else " (retired)"),
            at=now,
            data={"kind": kind, "pattern": pattern, "reason": reason, "active": active}
            | ({"language": language} if language else {}),
        )
    return candidate


_HOST = re.compile(r"[^\W_](?:[\w.-]*[^\W_])?")


def _check_rule(rule: WordingRule) -> None:
    if rule.language and rule.language not in settings.CANDOR_WORDS_LANGUAGES:
        known = ", ".join(settings.CANDOR_WORDS_LANGUAGES)
        raise ValidationError({"language": [f"{rule.language!r} is not one of: {known}."]})
    kind = RuleKind(rule.kind)
    if kind == RuleKind.BANNED_PHRASE:
        try:
            wording.phrase_regex(rule.pattern)
        except ValueError as error:
            raise ValidationError({"pattern": [str(error)]}) from error
    elif kind == RuleKind.BANNED_PATTERN:
        try:
            re.compile(rule.pattern)
        except re.error as error:
            raise ValidationError({"pattern": [f"Not a valid pattern: {error}."]}) from error
        if not rule.pattern:
            raise ValidationError({"pattern": ["A pattern is required."]})
    elif kind == RuleKind.VENDOR_BLAME:
        try:
            wording_detect.blame_regex(rule.pattern)
        except ValueError as error:
            raise ValidationError({"pattern": [str(error)]}) from error
    elif kind == RuleKind.ALLOWED_LINKS:
        bad = [
            h
            for h in wording_detect.hosts(wording_detect.lines(rule.pattern))
            if not _HOST.fullmatch(h)
        ]
        if bad:
            raise ValidationError({"pattern": [f"Not a host name: {h!r}." for h in bad]})
    elif kind == RuleKind.REQUIRED_ELEMENT and not rule.element:
        raise ValidationError({"element": ["Say which element is required."]})
    elif kind in (RuleKind.MAX_CHARS, RuleKind.MAX_SMS_SEGMENTS) and not rule.limit:
        raise ValidationError({"limit": ["A limit is required."]})


# -- roles ----------------------------------------------------------------------------------


def roles_set(
    *, actor: Actor, user: User, role_names: Iterable[str], now: datetime | None = None
) -> None:
    roles.require_permission(actor, roles.MANAGE_ROLES)
    wanted = sorted(set(role_names))
    unknown = [name for name in wanted if name not in roles.ROLES]
    if unknown:
        raise ValidationError({"roles": [f"Unknown role {name!r}." for name in unknown]})
    now = now or timezone.now()
    with transaction.atomic():
        keep = user.groups.exclude(name__in=roles.ROLES)
        user.groups.set([*keep, *Group.objects.filter(name__in=wanted)])
        audit_record(
            actor=actor,
            action=AuditAction.ROLES_SET,
            target=user,
            summary=f"Set {user.username}'s roles: {', '.join(wanted) or 'none'}",
            at=now,
        )
