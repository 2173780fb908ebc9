from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import lifecycle, wording
from incidents.cadence.report import incident_compliance
from incidents.console.forms.cadence import OwnersForm, ScheduleForm
from incidents.console.forms.incidents import IncidentOpenForm, ResolveForm, UpdatePostForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
    timeline,
)
from incidents.console.views.reminder_table import reminder_table
from incidents.console.views.wording import (
    REQUEST_APPROVAL,
    approval_requested,
    custom_texts,
    offered_openings,
    offered_templates,
)
from incidents.dependencies.causes import incident_causes
from incidents.models import Component, Incident, IncidentComponent, Reminder
from incidents.reminders.plan import schedule_for
from incidents.wording.drafts import draft_update

PER_PAGE = 25


def _components() -> list[Component]:
    # Grouped components first, as on the public page; SQLite would put NULLs first.
    return list(
        Component.objects.select_related("group").order_by(
            F("group__position").asc(nulls_last=True), "group__name", "position", "name"
        )
    )


@staff_required
def incident_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Incident.objects.order_by("-started_at", "-pk"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render_page(request, "console/incident_list.html", {"page": page})


@staff_required
@submit_once
def incident_new(request: HttpRequest) -> HttpResponse:
    form = IncidentOpenForm(posted(request), components=_components())
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == REQUEST_APPROVAL:
            done = approval_requested(
                request, form, body=form.cleaned_data["body"], phase=form.cleaned_data["status"]
            )
            if done:
                return redirect("console:incident_new")
            return render_page(
                request, "console/incident_new.html", _new_context(request, form), status=400
            )
        try:
            incident = lifecycle.incident_open(
                actor=console_actor(request),
                name=form.cleaned_data["name"],
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
                impact=form.cleaned_data["impact"],
                components=form.component_impacts(),
                override_reason=form.cleaned_data["override_reason"],
                **form.notify_options(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Incident “%(name)s” is open and published.") % {"name": incident.name}
            )
            return redirect("console:incident_detail", public_id=incident.public_id)
    status = 400 if form.is_bound else 200
    return render_page(
        request, "console/incident_new.html", _new_context(request, form), status=status
    )


def _new_context(request: HttpRequest, form: IncidentOpenForm) -> dict[str, Any]:
    openings, promises = offered_openings(timezone.now())
    return {
        "form": form,
        "custom_texts": custom_texts(incident=None, user=request.user),
        "templates": openings,
        "promises": promises,
        "components_fallback": wording.COMPONENTS_FALLBACK,
    }


def _draft_form(
    request: HttpRequest, incident: Incident, components: list[Component]
) -> UpdatePostForm | None:
    """The update form prefilled from a reminder's draft (?draft=<reminder id>)."""
    reminder = Reminder.objects.filter(
        public_id=request.GET.get("draft", ""), incident=incident
    ).first()
    if reminder is None or not incident.is_open:
        return None
    # Drafted afresh: the promise in a reminder's stored draft may have passed by now.
    body = draft_update(incident, phase=incident.status, now=timezone.now())
    return UpdatePostForm(
        incident=incident, components=components, initial={"status": incident.status, "body": body}
    )


def _cadence_context(
    request: HttpRequest, incident: Incident, cadence_form: ScheduleForm | None
) -> dict[str, Any]:
    schedule = schedule_for(incident)
    now = timezone.now()
    return {
        **reminder_table(request, incident.reminders.order_by("-send_at", "-pk"), 20),
        "schedule": schedule,
        "own_schedule": incident.cadence_first_minutes is not None,
        "overdue": incident.next_update_due is not None and incident.next_update_due < now,
        "cadence_form": cadence_form
        or ScheduleForm(prefix="cadence", initial=schedule.as_minutes()),
        "owners_form": OwnersForm(initial={"owners": list(incident.owners.all())}),
        "compliance": incident_compliance(incident, now=now),
    }


def incident_page(
    request: HttpRequest,
    incident: Incident,
    *,
    update_form: UpdatePostForm | None = None,
    resolve_form: ResolveForm | None = None,
    cadence_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    components = _components()
    effects = dict(
        IncidentComponent.objects.filter(incident=incident).values_list("component_id", "status")
    )
    update_form = (
        update_form
        or _draft_form(request, incident, components)
        or UpdatePostForm(incident=incident, components=components)
    )
    offered, texts = offered_templates(incident), custom_texts(incident=incident)
    context: dict[str, Any] = {
        **_cadence_context(request, incident, cadence_form),
        "incident": incident,
        "causes": incident_causes(incident),
        "timeline": timeline(incident.updates.order_by("-display_at", "-pk")),
        "affected": [c for c in components if c.pk in effects],
        "effects": effects,
        "update_form": update_form,
        "component_rows": list(update_form.component_rows(effects)),
        # The phase's approved template, filled in: posted as it is, it is published.
        "resolve_form": resolve_form
        or ResolveForm(
            initial={"body": draft_update(incident, phase="resolved", now=timezone.now())}
        ),
        "templates": offered,
        "custom_texts": texts,
        # The Resolve panel's own picker: only words for the resolved phase.
        "resolve_templates": [t for t in offered if t.status == "resolved"],
        "resolve_custom_texts": [t for t in texts if t.request.phase == "resolved"],
    }
    return render_page(request, "console/incident_detail.html", context, status=status)


@staff_required
@submit_once
def incident_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    incident = get_object_or_404(Incident, public_id=public_id)
    if request.method != "POST":
        return incident_page(request, incident)
    form = UpdatePostForm(request.POST, incident=incident, components=_components())
    if form.is_valid() and request.POST.get("action") == REQUEST_APPROVAL:
        phase = form.cleaned_data["status"]
        if approval_requested(
            request, form, body=form.cleaned_data["body"], phase=phase, incident=incident
        ):
            return redirect("console:incident_detail", public_id=incident.public_id)
    elif form.is_valid():
        try:
            lifecycle.update_post(
                actor=console_actor(request),
                incident=incident,
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
                impact=form.impact_change(),
                components=form.component_impacts(),
                override_reason=form.cleaned_data["override_reason"],
                **form.notify_options(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Update posted and published."))
            return redirect("console:incident_detail", public_id=incident.public_id)
    return incident_page(request, incident, update_form=form, status=400)


@staff_required
@submit_once
@require_POST
def incident_resolve(request: HttpRequest, public_id: str) -> HttpResponse:
    incident = get_object_or_404(Incident, public_id=public_id)
    form = ResolveForm(request.POST)
    if form.is_valid() and request.POST.get("action") == REQUEST_APPROVAL:
        if approval_requested(
            request, form, body=form.cleaned_data["body"], phase="resolved", incident=incident
        ):
            return redirect("console:incident_detail", public_id=incident.public_id)
    elif form.is_valid():
        try:
            lifecycle.incident_resolve(
                actor=console_actor(request),
                incident=incident,
                body=form.cleaned_data["body"],
                override_reason=form.cleaned_data["override_reason"],
                **form.notify_options(),
            )
        except ValidationError as error:
            # Resolve speaks in "body" and "status"; both belong on this form's top or field.
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Incident “%(name)s” is resolved.") % {"name": incident.name}
            )
            return redirect("console:incident_detail", public_id=incident.public_id)
    return incident_page(request, incident, resolve_form=form, status=400)
