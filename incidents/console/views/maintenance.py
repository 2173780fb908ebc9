from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import lifecycle, wording
from incidents.console.forms.maintenance import MaintenanceScheduleForm, MaintenanceUpdateForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
    timeline,
)
from incidents.console.views.wording import (
    REQUEST_APPROVAL,
    approval_requested,
    custom_texts,
    offered_templates,
)
from incidents.models import Maintenance, MaintenanceStatus

PER_PAGE = 25

# The most likely next step from each status, preselected to save a click under stress.
_NEXT_STEP = {
    MaintenanceStatus.SCHEDULED: MaintenanceStatus.IN_PROGRESS,
    MaintenanceStatus.IN_PROGRESS: MaintenanceStatus.VERIFYING,
    MaintenanceStatus.VERIFYING: MaintenanceStatus.COMPLETED,
}


@staff_required
def maintenance_list(request: HttpRequest) -> HttpResponse:
    not_done = Maintenance.objects.exclude(status=MaintenanceStatus.COMPLETED)
    done = Maintenance.objects.filter(status=MaintenanceStatus.COMPLETED)
    page = Paginator(done.order_by("-scheduled_for", "-pk"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render_page(
        request,
        "console/maintenance_list.html",
        {"current": not_done.order_by("scheduled_for"), "page": page},
    )


def _default_window() -> dict[str, object]:
    start = (timezone.now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return {"scheduled_for": start, "scheduled_until": start + timedelta(hours=1)}


@staff_required
@submit_once
def maintenance_new(request: HttpRequest) -> HttpResponse:
    form = MaintenanceScheduleForm(posted(request), initial=_default_window())
    if request.method == "POST" and form.is_valid():
        try:
            maintenance = lifecycle.maintenance_schedule(
                actor=console_actor(request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Maintenance “%(name)s” scheduled.") % {"name": maintenance.name}
            )
            return redirect("console:maintenance_detail", public_id=maintenance.public_id)
    return render_page(
        request,
        "console/maintenance_new.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@staff_required
@submit_once
def maintenance_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    maintenance = get_object_or_404(Maintenance, public_id=public_id)
    next_step = _NEXT_STEP.get(MaintenanceStatus(maintenance.status))
    form = MaintenanceUpdateForm(posted(request), initial={"status": next_step})
    asks_approval = request.POST.get("action") == REQUEST_APPROVAL
    if request.method == "POST" and form.is_valid() and asks_approval:
        phase = wording.maintenance_phase(form.cleaned_data["status"])
        body = form.cleaned_data["body"]
        if approval_requested(request, form, body=body, phase=phase, maintenance=maintenance):
            return redirect("console:maintenance_detail", public_id=maintenance.public_id)
    elif request.method == "POST" and form.is_valid():
        try:
            lifecycle.maintenance_update_post(
                actor=console_actor(request),
                maintenance=maintenance,
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
                override_reason=form.cleaned_data["override_reason"],
                **form.notify_options(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Maintenance update posted and published."))
            return redirect("console:maintenance_detail", public_id=maintenance.public_id)
    context = {
        "maintenance": maintenance,
        "timeline": timeline(maintenance.updates.order_by("-display_at", "-pk")),
        "components": maintenance.maintenancecomponent_set.select_related("component").order_by(
            "component__position", "component__name"
        ),
        "form": form,
        "done": maintenance.status == MaintenanceStatus.COMPLETED,
        "templates": offered_templates(maintenance),
        "custom_texts": custom_texts(maintenance=maintenance),
    }
    return render_page(
        request, "console/maintenance_detail.html", context, status=400 if form.is_bound else 200
    )
