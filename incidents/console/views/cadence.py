"""The update cadence in the console: schedules per impact, an incident's own schedule
and owners, contacts, reminders with their acknowledgements, and compliance."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import lifecycle
from incidents.cadence.report import compliance_report
from incidents.console.forms.cadence import ContactForm, OwnersForm, ScheduleForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.console.views.incidents import incident_page
from incidents.console.views.reminder_table import reminder_table
from incidents.models import Contact, Incident, IncidentImpact, Reminder
from incidents.reminders import plan, services

RECENT_REMINDERS = 100


def _policy_forms(bound: ScheduleForm | None = None) -> list[tuple[str, str, ScheduleForm, bool]]:
    rows = []
    for impact, (schedule, default) in plan.impact_schedules().items():
        form = ScheduleForm(initial=schedule.as_minutes(), prefix=impact)
        if bound is not None and bound.prefix == impact:
            form = bound
        rows.append((impact, str(IncidentImpact(impact).label), form, default))
    return rows


@staff_required
@submit_once
def cadence_settings(request: HttpRequest) -> HttpResponse:
    bound = None
    if request.method == "POST":
        impact = request.POST.get("impact", "")
        if impact not in IncidentImpact.values:
            messages.error(request, _("Choose an impact."))
            return redirect("console:cadence")
        bound = ScheduleForm(request.POST, prefix=impact)
        if bound.is_valid():
            try:
                services.cadence_policy_set(
                    actor=console_actor(request), impact=impact, schedule=bound.schedule()
                )
            except ValidationError as error:
                apply_errors(bound, error)
            else:
                label = IncidentImpact(impact).label
                messages.success(
                    request, _("Cadence for %(lower)s incidents saved.") % {"lower": label.lower()}
                )
                return redirect("console:cadence")
    context = {"rows": _policy_forms(bound)}
    return render_page(
        request, "console/cadence.html", context, status=400 if bound is not None else 200
    )


def _contacts_page(
    request: HttpRequest, form: ContactForm, contact: Contact | None = None
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "contact": contact,
        "contacts": Contact.objects.order_by("escalation_rank", "name"),
    }
    status = 400 if form.is_bound else 200
    return render_page(request, "console/contacts.html", context, status=status)


def _contact_save(request: HttpRequest, contact: Contact | None) -> HttpResponse:
    initial = (
        {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "on_call": contact.on_call,
            "escalation_rank": contact.escalation_rank,
        }
        if contact
        else None
    )
    form = ContactForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.contact_save(
                actor=console_actor(request), contact=contact, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Contact “%(name)s” saved.") % {"name": saved.name})
            return redirect("console:contacts")
    return _contacts_page(request, form, contact)


@staff_required
@submit_once
def contact_list(request: HttpRequest) -> HttpResponse:
    return _contact_save(request, None)


@staff_required
@submit_once
def contact_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    return _contact_save(request, get_object_or_404(Contact, public_id=public_id))


@staff_required
def reminder_list(request: HttpRequest) -> HttpResponse:
    reminders = Reminder.objects.select_related("incident", "maintenance").order_by(
        "-send_at", "-pk"
    )
    return render_page(
        request, "console/reminders.html", reminder_table(request, reminders, RECENT_REMINDERS)
    )


def _back(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return default


@staff_required
@submit_once
@require_POST
def reminder_ack(request: HttpRequest, public_id: str) -> HttpResponse:
    reminder = get_object_or_404(Reminder, public_id=public_id)
    if services.reminder_acknowledge(actor=console_actor(request), reminder=reminder):
        messages.success(request, _("Reminder acknowledged."))
    else:
        messages.info(
            request,
            _("Already acknowledged by %(acknowledged_by)s.")
            % {"acknowledged_by": reminder.acknowledged_by},
        )
    return redirect(_back(request, reverse("console:reminders")))


@staff_required
@submit_once
@require_POST
def incident_owners(request: HttpRequest, public_id: str) -> HttpResponse:
    incident = get_object_or_404(Incident, public_id=public_id)
    form = OwnersForm(request.POST)
    if form.is_valid():
        services.incident_owners_set(
            actor=console_actor(request), incident=incident, owners=form.cleaned_data["owners"]
        )
        messages.success(request, _("Owners saved."))
    else:
        messages.error(request, _("Those contacts no longer exist: reload the page."))
    return redirect("console:incident_detail", public_id=incident.public_id)


@staff_required
@submit_once
@require_POST
def incident_cadence(request: HttpRequest, public_id: str) -> HttpResponse:
    incident = get_object_or_404(Incident, public_id=public_id)
    if "clear" in request.POST:
        form, schedule = None, None
    else:
        form = ScheduleForm(request.POST, prefix="cadence")
        if not form.is_valid():
            return incident_page(request, incident, cadence_form=form, status=400)
        schedule = form.schedule()
    try:
        lifecycle.cadence_override_set(
            actor=console_actor(request), incident=incident, schedule=schedule
        )
    except ValidationError as error:
        form = form or ScheduleForm(request.POST, prefix="cadence")
        form.is_valid()
        apply_errors(form, error)
        return incident_page(request, incident, cadence_form=form, status=400)
    messages.success(request, _("Cadence saved; the next update is promised accordingly."))
    return redirect("console:incident_detail", public_id=incident.public_id)


@staff_required
def compliance(request: HttpRequest) -> HttpResponse:
    report = compliance_report(now=timezone.now())
    return render_page(request, "console/compliance.html", {"report": report})
