"""The send forecast beside every post form, and the Admin's SMS cost cap.

console.js posts the whole post form here as the responder types (and when they change
who is notified); the answer is the forecast rendered by console/_forecast.html, the same
fragment the form shows when lifecycle refuses a post above the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from incidents import lifecycle
from incidents.console.forms.incidents import IncidentOpenForm, ResolveForm, UpdatePostForm
from incidents.console.forms.maintenance import MaintenanceScheduleForm, MaintenanceUpdateForm
from incidents.console.forms.postmortems import PostmortemPublishForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.lifecycle import MAX_BODY_LENGTH
from incidents.models import (
    Component,
    Incident,
    IncidentStatus,
    Maintenance,
    NotifyScope,
    Postmortem,
)
from incidents.notify.costs import drafts
from incidents.notify.costs.forecast import Forecast
from incidents.notify.costs.gate import (
    amount_parse,
    forecast_report,
    sms_cost_cap,
    sms_cost_cap_set,
)

# What a forecast needs from a post form; its other fields (a window's dates) may wait.
NEEDED = {"body", "status", "name", "notify"}


def _components() -> list[Component]:
    return list(Component.objects.order_by("position", "name"))


def _bound(kind: str, data: Any, target: str) -> tuple[forms.Form, Callable[..., Forecast]]:
    """The post form of `kind`, bound to `data`, and how to forecast it once cleaned."""
    common: dict[str, Any] = {"body_limit": MAX_BODY_LENGTH}
    if kind in ("incident_update", "incident_resolve"):
        incident = Incident.objects.filter(public_id=target).first()
        if incident is None:
            raise LookupError("incident")
        if kind == "incident_resolve":
            resolve = ResolveForm(data)
            return resolve, lambda c: drafts.incident_update_forecast(
                incident=incident, body=c["body"], status=IncidentStatus.RESOLVED,
                scope=c["notify"], **common,
            )  # fmt: skip
        update = UpdatePostForm(data, incident=incident, components=_components())
        return update, lambda c: drafts.incident_update_forecast(
            incident=incident, body=c["body"], status=c["status"],
            components=update.component_impacts(), scope=c["notify"], **common,
        )  # fmt: skip
    if kind == "incident_open":
        opening = IncidentOpenForm(data, components=_components())
        return opening, lambda c: drafts.incident_open_forecast(
            name=c["name"], body=c["body"], status=c["status"],
            components=opening.component_impacts(), scope=c["notify"], **common,
        )  # fmt: skip
    if kind == "maintenance_update":
        maintenance = Maintenance.objects.filter(public_id=target).first()
        if maintenance is None:
            raise LookupError("maintenance")
        return MaintenanceUpdateForm(data), lambda c: drafts.maintenance_update_forecast(
            maintenance=maintenance, body=c["body"], status=c["status"], scope=c["notify"],
            **common,
        )  # fmt: skip
    if kind == "maintenance_schedule":
        return MaintenanceScheduleForm(data), lambda c: drafts.maintenance_schedule_forecast(
            name=c["name"], body=c["body"], components=c.get("components") or [],
            scope=c["notify"], **common,
        )  # fmt: skip
    if kind == "postmortem_publish":
        postmortem = Postmortem.objects.filter(incident__public_id=target).first()
        if postmortem is None:
            raise LookupError("postmortem")
        return PostmortemPublishForm(data), lambda c: lifecycle.postmortem_forecast(
            postmortem=postmortem, scope=c["notify"]
        )
    raise LookupError("kind")


def _answer(message: str = "", report: dict[str, Any] | None = None) -> JsonResponse:
    html = render_to_string("console/_forecast.html", {"forecast": report, "message": message})
    return JsonResponse({"html": html, "above_cap": bool(report and report["above_cap"])})


@staff_required
@require_POST
def send_forecast(request: HttpRequest) -> JsonResponse:
    """POST (CSRF-checked) although it writes nothing: the draft stays out of logs."""
    try:
        form, forecast = _bound(
            request.POST.get("forecast_kind", ""),
            request.POST,
            request.POST.get("forecast_target", ""),
        )
    except LookupError as missing:
        return JsonResponse({"error": f"No such {missing.args[0]}."}, status=400)
    form.is_valid()
    if any(field in form.errors for field in NEEDED) or (
        "body" in form.fields and "body" not in form.cleaned_data
    ):
        return _answer(_("The forecast appears once the update has words."))
    cleaned = {**form.cleaned_data, "notify": form.cleaned_data.get("notify") or NotifyScope.ALL}
    try:
        report = forecast_report(forecast(cleaned))
    except ValidationError as error:
        return _answer(" ".join(error.messages))
    return _answer(report=report)


class SmsCostCapForm(forms.Form):
    amount = forms.CharField(
        required=False,
        max_length=20,
        label=gettext_lazy("SMS cost cap per update"),
        help_text=gettext_lazy(
            "Above it, posting takes a confirmation of the figure (audited) or is sent "
            "by email and chat only. Empty: no cap."
        ),
    )

    def clean_amount(self) -> Any:
        try:
            return amount_parse(self.cleaned_data["amount"], field="amount")
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["amount"]) from None


@staff_required
@submit_once
def sms_cost_cap_page(request: HttpRequest) -> HttpResponse:
    cap = sms_cost_cap()
    form = SmsCostCapForm(posted(request), initial={"amount": "" if cap is None else f"{cap:.2f}"})
    if request.method == "POST" and form.is_valid():
        try:
            sms_cost_cap_set(actor=console_actor(request), amount=form.cleaned_data["amount"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("SMS cost cap saved."))
            return redirect("console:sms_cost_cap")
    return render_page(
        request,
        "console/sms_cost_cap.html",
        {"form": form, "cap": cap, "currency": settings.CANDOR_SMS_CURRENCY},
        status=400 if form.is_bound else 200,
    )
