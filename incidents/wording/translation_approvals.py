"""Submitting and approving translations of template versions, by the rules of the
original (approvals.py): written by a template writer, approved by the approvals
CANDOR_TEMPLATE_APPROVALS names (legal and support by default), never by their author and
never twice by one approver. A change is a new translation that needs its approvals again.

Checked when submitted and again when approved: the same placeholders as the original
(no more, no fewer), nothing text.py refuses, and the wording policy in the translation's
language (its rules for no language and its rules for that one).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents import roles, wording
from incidents.approvers import notices
from incidents.audit import Actor, audit_record
from incidents.models import (
    AuditAction,
    Channel,
    Component,
    IncidentStatus,
    IncidentUpdate,
    MaintenanceStatus,
    MaintenanceUpdate,
    TemplateTranslation,
    TemplateVersion,
    TranslationApproval,
)
from incidents.public.cache import public_changed
from incidents.publish.changes import Scope
from incidents.publish.trigger import request_publish
from incidents.publish.versions import site_version_bump
from incidents.text import text_problem
from incidents.wording.translations import (
    placeholder_values,
    translation_approved,
    translations_forget,
)

MAX_BODY_LENGTH = 20_000


def _placeholders(body: str) -> Counter[str]:
    return Counter(p.placeholder for p in wording.parse(body) if p.placeholder)


def translation_check(version: TemplateVersion, *, language: str, body: str) -> None:
    """Refuse a translation that says something else than its original may: another
    language than those configured, hostile text, other placeholders, or words the policy
    refuses in that language (checked as rendered with sample values, as templates are)."""
    languages = settings.CANDOR_WORDS_LANGUAGES
    if language not in languages or language == wording.original_language():
        allowed = ", ".join(code for code in languages if code != wording.original_language())
        raise ValidationError({"language": [f"{language!r} is not one of: {allowed}."]})
    if not body.strip():
        raise ValidationError({"body": ["This field is required."]})
    if problem := text_problem(body, max_len=MAX_BODY_LENGTH, multiline=True):
        raise ValidationError({"body": [f"This text {problem}"]})
    if _placeholders(body) != _placeholders(version.body):
        wanted = ", ".join(f"{{{name}}}" for name in sorted(_placeholders(version.body)))
        raise ValidationError(
            {"body": [f"A translation has the original's placeholders: {wanted or 'none'}."]}
        )
    text = wording.render(body, wording.sample_values())
    violations = wording.check(
        text,
        channel=wording.channel_for(version.template.channel),
        phase=version.template.phase,
        language=language,
    )
    if violations:
        raise wording.WordingRefused("These words break the wording policy.", violations)


def translation_submit(
    *,
    actor: Actor,
    version: TemplateVersion,
    language: str,
    body: str,
    now: datetime | None = None,
) -> TemplateTranslation:
    """A translation of `version` into `language`: the next one for that pair, final as
    submitted; approvers approve exactly these words."""
    roles.require_permission(actor, roles.WRITE_TEMPLATES)
    if actor.user is None:
        raise PermissionError("translations are written by a person")
    translation_check(version, language=language, body=body)
    now = now or timezone.now()
    with transaction.atomic():
        # The version's row is the lock: two submissions into one language take turns.
        TemplateVersion.objects.select_for_update().filter(pk=version.pk).exists()
        latest = TemplateTranslation.objects.filter(version=version, language=language)
        number = (latest.aggregate(n=Max("number"))["n"] or 0) + 1
        translation = TemplateTranslation.objects.create(
            version=version,
            language=language,
            number=number,
            body=wording.normal_text(body),
            author=actor.user,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.TRANSLATION_SUBMITTED,
            target=version.template,
            summary=f"Submitted {version.template.name!r} v{version.number} in {language}"
            f" (translation {number})",
            at=now,
            data={"language": language, "translation": number},
        )
        # The approvers are told, as of template versions (approvers/notices.py).
        notices.notices_create(words=translation, now=now)
    return translation


def translation_approve(
    *,
    actor: Actor,
    translation: TemplateTranslation,
    qualifier: str = "",
    now: datetime | None = None,
) -> TranslationApproval:
    """One approver's yes, by the original's rules; the translation is checked against
    the policy as it stands now (a rule added since it was submitted refuses it)."""
    roles.require_permission(actor, roles.APPROVE_WORDING)
    if actor.user is None:
        raise PermissionError("only a person may approve")
    held = roles.qualifiers(actor.user)
    if not held:
        raise PermissionError(f"{actor.label} is not an approver")
    qualifier = qualifier or held[0]
    if qualifier not in held:
        raise ValidationError({"qualifier": [f"You do not approve as {qualifier}."]})
    if translation.author_id == actor.user.pk:
        raise ValidationError({"approval": ["Nobody approves their own words."]})
    translation_check(translation.version, language=translation.language, body=translation.body)
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            TemplateTranslation.objects.select_for_update()
            .prefetch_related("approvals")
            .get(pk=translation.pk)
        )
        if any(a.approver_id == actor.user.pk for a in locked.approvals.all()):
            raise ValidationError({"approval": ["You have already approved these words."]})
        approval = TranslationApproval.objects.create(
            translation=locked, approver=actor.user, qualifier=qualifier, at=now
        )
        version = translation.version
        audit_record(
            actor=actor,
            action=AuditAction.TRANSLATION_APPROVED,
            target=version.template,
            summary=f"Approved {version.template.name!r} v{version.number} in "
            f"{translation.language} (translation {translation.number}) as {qualifier}",
            at=now,
            data={"language": translation.language, "translation": translation.number},
        )
        approved = translation_approved(
            TemplateTranslation.objects.prefetch_related("approvals").get(pk=locked.pk)
        )
        if approved:
            # The pages of the incidents and maintenance windows whose words came from
            # this version now read differently in its language: a public change, its
            # scope recorded for the incremental publisher (publish/changes.py).
            site_version_bump(now=now, scope=words_scope(version))
            transaction.on_commit(request_publish, robust=True)
        # The v2 JSON's ?lang= documents may now read differently.
        transaction.on_commit(public_changed)
    translations_forget()
    return approval


def _maintenance_phase(status: str) -> str | None:
    try:
        return wording.maintenance_phase(status)
    except KeyError:  # cancelled: no template's phase
        return None


def words_scope(version: TemplateVersion) -> Scope:
    """The incidents and maintenance windows with an update whose words came from
    `version`, matched as translations.py matches them (the title their name, the
    component names any component's): the pages a translation of it can change. Read once
    per approval, every update of the version's phase (a rare write, not a page view)."""
    if version.template.channel != Channel.WEB:  # the pages show the web words only
        return Scope()
    phase = version.template.phase
    names = list(Component.objects.values_list("name", flat=True))

    def matched(rows: object) -> frozenset[str]:
        found: set[str] = set()
        for body, title, public_id in rows:  # type: ignore[attr-defined]
            context = wording.MatchContext(title=title, component_names=names)
            if public_id in found:
                continue
            if placeholder_values(body, version.body, context) is not None:
                found.add(public_id)
        return frozenset(found)

    incident_statuses = [s for s in IncidentStatus if wording.incident_phase(s) == phase]
    maintenance_statuses = [s for s in MaintenanceStatus if _maintenance_phase(s) == phase]
    incidents = IncidentUpdate.objects.filter(status__in=incident_statuses).values_list(
        "body", "incident__name", "incident__public_id"
    )
    maintenance = MaintenanceUpdate.objects.filter(status__in=maintenance_statuses).values_list(
        "body", "maintenance__name", "maintenance__public_id"
    )
    return Scope(
        incidents=matched(incidents.iterator()) if incident_statuses else frozenset(),
        maintenance=matched(maintenance.iterator()) if maintenance_statuses else frozenset(),
    )


def translations_waiting() -> list[TemplateTranslation]:
    """Translations short of their approvals, oldest first: the approvals queue's."""
    rows = (
        TemplateTranslation.objects.select_related("version__template", "author")
        .prefetch_related("approvals")
        .order_by("created_at", "pk")
    )
    return [t for t in rows if not translation_approved(t)]
