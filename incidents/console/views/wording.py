"""Approved wording in the console: the live policy check, templates offered as you write,
custom text sent for approval, the approvals queue, templates, the policy and roles."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from incidents import roles, wording
from incidents.console.forms.wording import (
    RejectForm,
    ReviewForm,
    RolesForm,
    RuleForm,
    TemplateForm,
    TranslationForm,
)
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    not_allowed,
    render_page,
    staff_required,
    submit_once,
)
from incidents.lifecycle import (
    MAX_BODY_LENGTH,
    latest_revision,
    revision_approved,
    revision_rejection,
)
from incidents.models import (
    Component,
    CustomTextRequest,
    Incident,
    IncidentImpact,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    MessageTemplate,
    OverrideReview,
    Phase,
    Postmortem,
    PostmortemRevision,
    Rejection,
    TemplateTranslation,
    TemplateVersion,
)
from incidents.wording import approvals, decisions, drafts, overrides
from incidents.wording import dry_run as wording_dry_run
from incidents.wording import translation_approvals as translating
from incidents.wording.translations import translation_approved

REQUEST_APPROVAL = "request_approval"


# -- while writing ----------------------------------------------------------------------------


def _phase(kind: str, status: str) -> str | None:
    if kind == "incident" and status in IncidentStatus.values:
        return wording.incident_phase(status)
    if kind == "maintenance" and status in MaintenanceStatus.values:
        return wording.maintenance_phase(status)
    return None


@staff_required
@require_POST
def wording_check(request: HttpRequest) -> JsonResponse:
    """The policy check of lifecycle, as you type (console.js). POST for the reason the
    Markdown preview is: drafts stay out of logs."""
    body = request.POST.get("body", "")
    kind, status = request.POST.get("kind", ""), request.POST.get("status", "")
    phase = status if kind == "template" and status in Phase.values else _phase(kind, status)
    if len(body) > MAX_BODY_LENGTH or phase is None:
        return JsonResponse({"error": "Unknown phase, or the text is too long."}, status=400)
    if kind != "template":
        violations = wording.check(body, channel="web", phase=phase)
        return JsonResponse(
            {
                "phase": phase,
                "violations": [v.as_dict() for v in violations],
                **_verdict(request, body, phase=phase, kind=kind, violations=violations),
            }
        )
    # A template is checked as it will read, filled with sample values.
    channel = request.POST.get("channel", "web")
    try:
        text = wording.render(body, wording.sample_values())
    except ValidationError as error:
        return JsonResponse({"phase": phase, "problems": error.messages, "violations": []})
    violations = wording.check(text, channel=wording.channel_for(channel), phase=phase)
    answer: dict[str, Any] = {
        "phase": phase,
        "text": text,
        "violations": [v.as_dict() for v in violations],
        "summary": _summary(len(violations)),
    }
    if channel == "sms":
        answer["sms"] = asdict(wording.sms_info(text))
    return JsonResponse(answer)


def _summary(n: int) -> str:
    """The line above a template's problems, in the staff member's language."""
    if not n:
        return _("No problems with the wording policy.")
    return ngettext(
        "%(violations)s problem with the wording policy",
        "%(violations)s problems with the wording policy",
        n,
    ) % {"violations": n}


def _verdict(
    request: HttpRequest, body: str, *, phase: str, kind: str, violations: list[wording.Violation]
) -> dict[str, str]:
    """One verdict on words as lifecycle would judge them on posting: they break the
    policy (refused, whatever was approved), are approved (published), or pass the policy
    but need an approver first."""
    if violations:
        n = len(violations)
        message = ngettext(
            "Refused: %(count)s problem with the wording policy.",
            "Refused: %(count)s problems with the wording policy.",
            n,
        )
        return {"verdict": "breaks_policy", "message": message % {"count": n}}
    incident = maintenance = None
    if kind == "incident":
        incident = Incident.objects.filter(public_id=request.POST.get("incident", "")).first()
    else:
        maintenance = Maintenance.objects.filter(
            public_id=request.POST.get("maintenance", "")
        ).first()
    subject = incident or maintenance
    title = subject.name if subject else request.POST.get("title", "").strip()
    context = wording.MatchContext(
        title=title, component_names=list(Component.objects.values_list("name", flat=True))
    )
    basis = approvals.approved_basis(
        body, phase=phase, context=context, incident=incident, maintenance=maintenance
    )
    if basis is not None:
        if basis.kind == "template":
            approved = _("Approved words (an approved template): ready to publish.")
        else:
            approved = _("Approved words (approved custom text): ready to publish.")
        return {"verdict": "approved", "message": approved}
    return {
        "verdict": "needs_approval",
        "message": _(
            "Passes the wording policy, but these words are not approved: use an "
            "approved template, or submit them for approval (the approvers are told at once)."
        ),
    }


@dataclass(frozen=True)
class Offered:
    phase: str
    status: str
    name: str
    text: str


def offered_templates(subject: Incident | Maintenance) -> list[Offered]:
    """Every approved web template of the subject's phases, filled in for it now."""
    now = timezone.now()
    if isinstance(subject, Incident):
        statuses = list(IncidentStatus.values)
        values = drafts.incident_values(subject, phase=IncidentStatus.INVESTIGATING, now=now)
        phase_of = wording.incident_phase
    else:
        statuses = [s for s in MaintenanceStatus.values if s != MaintenanceStatus.SCHEDULED]
        values = wording.values_for(
            title=subject.name,
            component_names=[c.name for c in subject.components.all()],
            window_start=subject.scheduled_for,
            window_end=subject.scheduled_until,
        )
        phase_of = wording.maintenance_phase
    return [
        Offered(phase_of(status), status, v.template.name, wording.render(v.body, values))
        for status in statuses
        for v in approvals.usable_versions(phase_of(status))
    ]


# Filled in the browser from the form as the responder fills it (console.js).
OPENING_LEFT_OPEN = ("title", "components", "next_update_at")


def offered_openings(now: datetime) -> tuple[list[Offered], dict[str, str]]:
    """Approved opening templates for the new-incident form, and the promise per impact.

    The title, components and impact are not chosen yet: the texts keep those placeholders
    and "Use" fills them from the form, the promise from the chosen impact's cadence.
    """
    values = {
        k: v
        for k, v in drafts.opening_values(
            title="", component_names=[], impact=IncidentImpact.MINOR, now=now
        ).items()
        if k not in OPENING_LEFT_OPEN
    }
    offered = [
        Offered(phase, status, v.template.name, wording.render(v.body, values))
        for status in IncidentStatus.values
        if status != IncidentStatus.RESOLVED
        for phase in [wording.incident_phase(status)]
        for v in approvals.usable_versions(phase)
    ]
    promises = {
        impact: drafts.opening_values(title="", component_names=[], impact=impact, now=now)[
            "next_update_at"
        ]
        for impact in IncidentImpact.values
    }
    return offered, promises


@dataclass(frozen=True)
class CustomTextState:
    request: CustomTextRequest
    approved: bool
    rejection: Rejection | None


def custom_texts(
    *,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> list[CustomTextState]:
    """Custom text asked for this incident or maintenance (neither: for a new incident,
    the user's own)."""
    requests = CustomTextRequest.objects.filter(
        incident=incident, maintenance=maintenance
    ).prefetch_related("approvals", "rejections", "notices")
    if incident is None and maintenance is None:
        requests = requests.filter(author_id=getattr(user, "pk", None))
    return [
        CustomTextState(r, approvals.custom_text_approved(r), _rejection(r)) for r in requests[:20]
    ]


def _rejection(words: CustomTextRequest | TemplateVersion) -> Rejection | None:
    return next(iter(words.rejections.all()), None)  # prefetched


def approval_requested(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    body: str,
    phase: str,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
) -> bool:
    """Send the form's words to the approvers; False (errors on the form) if refused."""
    try:
        approvals.custom_text_request(
            actor=console_actor(request),
            body=body,
            phase=phase,
            incident=incident,
            maintenance=maintenance,
        )
    except ValidationError as error:
        apply_errors(form, error)
        return False
    messages.success(
        request,
        _("Sent to the approvers. Once approved, post the same words and they are published."),
    )
    return True


# -- the approvals queue ------------------------------------------------------------------


def _pending_versions() -> list[TemplateVersion]:
    versions = (
        TemplateVersion.objects.filter(rejections=None)
        .select_related("template", "author")
        .prefetch_related("approvals__approver", "rejections", "notices__approver")
    )
    return [v for v in versions.order_by("-created_at")[:200] if not approvals.version_approved(v)]


def _pending_custom() -> list[CustomTextRequest]:
    requests = (
        CustomTextRequest.objects.filter(rejections=None)
        .select_related("author", "incident", "maintenance")
        .prefetch_related("approvals__approver", "rejections", "notices__approver")
    )
    return [r for r in requests[:200] if not approvals.custom_text_approved(r)]


def _decide(request: HttpRequest, words: dict[str, Any]) -> str:
    """Approve or reject the posted words; what to tell the approver."""
    actor = console_actor(request)
    if request.POST.get("decision") != "reject":
        decisions.approval_give(actor=actor, **words)
        return "Approved."
    form = RejectForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form.errors)
    decisions.rejection_give(actor=actor, reason=form.cleaned_data["reason"], **words)
    return "Rejected. The author is emailed your reason."


@staff_required
@submit_once
def approvals_queue(request: HttpRequest) -> HttpResponse:
    review_form = ReviewForm()
    if request.method == "POST":
        try:
            if "version" in request.POST:
                version = get_object_or_404(TemplateVersion, pk=_integer(request.POST["version"]))
                done = _decide(request, {"version": version})
            elif "translation" in request.POST:
                translation = get_object_or_404(
                    TemplateTranslation, pk=_integer(request.POST["translation"])
                )
                if request.POST.get("decision") == "reject":
                    raise ValidationError(
                        _("A translation is not rejected: its writer submits a new one.")
                    )
                translating.translation_approve(
                    actor=console_actor(request), translation=translation
                )
                done = "Approved."
            elif "custom_text" in request.POST:
                custom = get_object_or_404(CustomTextRequest, public_id=request.POST["custom_text"])
                done = _decide(request, {"custom_text": custom})
            else:
                review = get_object_or_404(OverrideReview, public_id=request.POST.get("review"))
                review_form = ReviewForm(request.POST)
                if not review_form.is_valid():
                    raise ValidationError(review_form.errors)
                overrides.override_review_close(
                    actor=console_actor(request),
                    review=review,
                    note=review_form.cleaned_data["note"],
                )
                done = "Reviewed."
        except ValidationError as error:
            for reason in error.messages:
                messages.error(request, reason)
        else:
            messages.success(request, done)
            return redirect("console:approvals")
    context = {
        "versions": _pending_versions(),
        "custom": _pending_custom(),
        "translations": translating.translations_waiting()[:200],
        "reviews": OverrideReview.objects.filter(reviewed_at=None),
        "postmortems": _pending_postmortems(),
        "review_form": review_form,
        "reason_max": decisions.REASON_MAX_LENGTH,
        "required_templates": settings.CANDOR_TEMPLATE_APPROVALS,
        "required_custom": settings.CANDOR_CUSTOM_TEXT_APPROVALS,
    }
    status = 400 if request.method == "POST" else 200
    return render_page(request, "console/approvals.html", context, status=status)


def _pending_postmortems() -> list[PostmortemRevision]:
    """Each postmortem whose newest revision still waits for a decision (made on the
    incident's postmortem page, where the words are)."""
    waiting = []
    for postmortem in Postmortem.objects.select_related("incident").order_by("-created_at"):
        revision = latest_revision(postmortem)
        if (
            revision is not None
            and not revision_approved(revision)
            and revision_rejection(revision) is None
        ):
            waiting.append(revision)
    return waiting


def _integer(value: str) -> int:
    """A posted primary key; a mangled one finds nothing (404), it does not crash."""
    return int(value) if value.isdigit() else 0


# -- templates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    template: MessageTemplate
    # Each version, whether it is approved, and its rejection if it was rejected.
    versions: list[tuple[TemplateVersion, bool, Rejection | None]]
    sms: wording.SmsInfo | None


def _template_rows() -> list[TemplateRow]:
    rows = []
    templates = MessageTemplate.objects.prefetch_related(
        "versions__approvals", "versions__rejections__rejecter", "versions__author"
    )
    for template in templates:
        versions = [
            (v, approvals.version_approved(v), _rejection(v)) for v in template.versions.all()
        ]
        sms = None
        if template.channel == "sms" and versions:
            sms = wording.sms_info(wording.render(versions[0][0].body, wording.sample_values()))
        rows.append(TemplateRow(template, versions, sms))
    return rows


@staff_required
@submit_once
def templates(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    if "edit" in request.GET:
        version = TemplateVersion.objects.filter(template__public_id=request.GET["edit"]).first()
        if version:
            template = version.template
            initial = {
                "name": template.name,
                "phase": template.phase,
                "channel": template.channel,
                "body": version.body,
            }
    form = TemplateForm(request.POST if request.method == "POST" else None, initial=initial)
    violations: list[wording.Violation] = []
    if request.method == "POST" and form.is_valid():
        try:
            version = approvals.template_version_submit(
                actor=console_actor(request), **form.cleaned_data
            )
        except wording.WordingRefused as error:
            violations = error.violations
            apply_errors(form, error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("“%(name)s” v%(number)s waits for approval.")
                % {"name": version.template.name, "number": version.number},
            )
            return redirect("console:templates")
    sample_text = ""
    if violations:
        sample_text = wording.render(form.cleaned_data["body"], wording.sample_values())
    context = {
        "rows": _template_rows(),
        "form": form,
        "violations": violations,
        "sample_text": sample_text,
        "placeholders": wording.PLACEHOLDERS,
        "phases": Phase.choices,
    }
    return render_page(
        request, "console/templates.html", context, status=400 if violations else 200
    )


@staff_required
@submit_once
def template_translations(request: HttpRequest, public_id: str, number: str) -> HttpResponse:
    """One template version's translations, their approvals, and a form to add one."""
    version = get_object_or_404(
        TemplateVersion.objects.select_related("template"),
        template__public_id=public_id,
        number=_integer(number),
    )
    form = TranslationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            translation = translating.translation_submit(
                actor=console_actor(request), version=version, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("The %(language)s translation %(number)s waits for approval.")
                % {"language": translation.language, "number": translation.number},
            )
            return redirect("console:template_translations", public_id, number)
    translations = (
        version.translations.select_related("author")
        .prefetch_related("approvals__approver")
        .order_by("language", "-number")
    )
    context = {
        "version": version,
        "version_approved": approvals.version_approved(version),
        "rows": [(t, translation_approved(t)) for t in translations],
        "form": form,
        "required": settings.CANDOR_TEMPLATE_APPROVALS,
    }
    status = 400 if request.method == "POST" else 200
    return render_page(request, "console/template_translations.html", context, status=status)


# -- the policy ---------------------------------------------------------------------------


@staff_required
@submit_once
def policy(request: HttpRequest) -> HttpResponse:
    rules = wording.current_rules()
    initial: dict[str, Any] = {}
    chosen = next((r for r in rules if r.key == request.GET.get("key")), None)
    if chosen:
        initial = {
            "key": chosen.key,
            "kind": chosen.kind,
            "pattern": chosen.pattern,
            "element": chosen.element,
            "limit": chosen.limit,
            "channel": chosen.channel,
            "scope": chosen.scope,
            "reason": chosen.reason,
            "language": chosen.language,
            "active": chosen.active,
        }
    form = RuleForm(request.POST if request.method == "POST" else None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        actor = console_actor(request)
        try:
            if form.cleaned_data["previewed"] == form.digest() and "save" in request.POST:
                rule = approvals.rule_save(actor=actor, **form.rule_fields())
                messages.success(
                    request,
                    _("Rule “%(key)s” saved as version %(version)s.")
                    % {"key": rule.key, "version": rule.version},
                )
                return redirect("console:policy")
            # Not saved before its dry run: show what these exact fields would flag first.
            preview = wording_dry_run.dry_run(
                approvals.rule_candidate(actor=actor, **form.rule_fields())
            )
            form = RuleForm(initial={**form.rule_fields(), "previewed": form.digest()})
        except ValidationError as error:
            apply_errors(form, error)
    return render_page(
        request, "console/policy.html", {"rules": rules, "form": form, "preview": preview}
    )


# -- staff roles --------------------------------------------------------------------------


@staff_required
@submit_once
@require_POST
def staff_roles(request: HttpRequest, username: str) -> HttpResponse:
    user = get_object_or_404(User, username=username, is_staff=True)
    form = RolesForm(request.POST, prefix=f"u{user.pk}")
    if not form.is_valid():
        return not_allowed(request)
    approvals.roles_set(
        actor=console_actor(request), user=user, role_names=form.cleaned_data["roles"]
    )
    messages.success(request, _("Roles of %(username)s saved.") % {"username": user.username})
    return redirect("console:staff")


@staff_required
def staff(request: HttpRequest) -> HttpResponse:
    users = User.objects.filter(is_staff=True).prefetch_related("groups").order_by("username")
    rows = [
        (
            u,
            RolesForm(initial={"roles": [g.name for g in u.groups.all()]}, prefix=f"u{u.pk}"),
            any(g.name == roles.BREAK_GLASS for g in u.groups.all()),  # prefetched
        )
        for u in users
    ]
    return render_page(request, "console/staff.html", {"rows": rows})
