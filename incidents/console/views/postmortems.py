"""A resolved incident's postmortem in the console: write it (a new revision each save),
see its approvals, approve it (approvers), publish it once approved."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import lifecycle, roles
from incidents.console.forms.postmortems import PostmortemForm, PostmortemPublishForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.models import Incident, NotifyScope, Postmortem
from incidents.postmortem_timeline import incident_timeline
from incidents.wording import postmortems as words
from incidents.wording.decisions import REASON_MAX_LENGTH


@staff_required
@submit_once
def postmortem(request: HttpRequest, public_id: str) -> HttpResponse:
    incident = get_object_or_404(Incident, public_id=public_id)
    record = Postmortem.objects.filter(incident=incident).first()
    revision = lifecycle.latest_revision(record) if record else None
    templates = words.postmortem_templates()
    if revision is not None:
        initial = {
            "body": revision.body,
            "template": revision.template_version.template.public_id,
        }
    else:
        first = templates[0] if templates else None
        initial = {
            "body": lifecycle.draft_start(incident, first) if first else "",
            "template": first.template.public_id if first else "",
        }
    form = PostmortemForm(posted(request), initial=initial, templates=templates)
    if request.method == "POST" and form.is_valid():
        version = words.template_for(form.cleaned_data["template"])
        try:
            if version is None:
                raise ValidationError({"template": ["Choose an approved postmortem template."]})
            saved = lifecycle.postmortem_save(
                actor=console_actor(request),
                incident=incident,
                body=form.cleaned_data["body"],
                template_version=version,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Revision %(number)s saved. It needs legal and support approval.")
                % {"number": saved.number},
            )
            return redirect("console:postmortem", public_id=incident.public_id)
    user = request.user
    return render_page(
        request,
        "console/postmortem.html",
        {
            "incident": incident,
            "record": record,
            "revision": revision,
            "approved": bool(revision and lifecycle.revision_approved(revision)),
            "rejection": lifecycle.revision_rejection(revision) if revision else None,
            "reason_max": REASON_MAX_LENGTH,
            "published": bool(record and revision and record.published_revision_id == revision.pk),
            "form": form,
            "publish_form": PostmortemPublishForm(),
            "templates": templates,
            "timeline": incident_timeline(incident),
            "may_approve": bool(
                revision
                and user.has_perm(roles.APPROVE_WORDING)
                and revision.author_id != user.pk
                and not any(a.approver_id == user.pk for a in revision.approvals.all())
                and lifecycle.revision_rejection(revision) is None
            ),
        },
    )


@staff_required
@submit_once
@require_POST
def postmortem_approve(request: HttpRequest, public_id: str) -> HttpResponse:
    record = get_object_or_404(Postmortem, incident__public_id=public_id)
    revision = lifecycle.latest_revision(record)
    try:
        if revision is None or str(revision.number) != request.POST.get("revision"):
            raise ValidationError(_("A newer revision replaced these words: read it first."))
        lifecycle.postmortem_approve(actor=console_actor(request), revision=revision)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("You approved revision %(number)s.") % {"number": revision.number}
        )
    return redirect("console:postmortem", public_id=public_id)


@staff_required
@submit_once
@require_POST
def postmortem_reject(request: HttpRequest, public_id: str) -> HttpResponse:
    record = get_object_or_404(Postmortem, incident__public_id=public_id)
    revision = lifecycle.latest_revision(record)
    try:
        if revision is None or str(revision.number) != request.POST.get("revision"):
            raise ValidationError(_("A newer revision replaced these words: read it first."))
        lifecycle.postmortem_reject(
            actor=console_actor(request), revision=revision, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("You rejected revision %(number)s.") % {"number": revision.number}
        )
    return redirect("console:postmortem", public_id=public_id)


@staff_required
@submit_once
@require_POST
def postmortem_publish(request: HttpRequest, public_id: str) -> HttpResponse:
    record = get_object_or_404(Postmortem, incident__public_id=public_id)
    form = PostmortemPublishForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                [
                    f"{form[name].label}: {' '.join(str(e) for e in errors)}"
                    for name, errors in form.errors.items()
                ]
            )
        lifecycle.postmortem_publish(
            actor=console_actor(request), postmortem=record, **form.notify_options_given()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        told = form.cleaned_data["notify"] != NotifyScope.NONE
        messages.success(
            request,
            _("Postmortem published; subscribers are told.")
            if told
            else _("Postmortem published."),
        )
    return redirect("console:postmortem", public_id=public_id)
