"""The reliability report's settings in the console: what an Admin makes public."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from incidents import roles
from incidents.console.forms.report import ReportSettingsForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    render_page,
    staff_required,
    submit_once,
)
from incidents.reliability.rows import components_in_order
from incidents.reliability.visibility import FIGURES, report_visibility, report_visibility_set


@staff_required
@submit_once
def report_settings(request: HttpRequest) -> HttpResponse:
    every = components_in_order(frozenset())
    choices = [(c.public_id, c.name) for c in every]
    current = report_visibility()
    if request.method == "POST":
        form = ReportSettingsForm(request.POST, components=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report_visibility_set(
                    actor=console_actor(request),
                    enabled=data["enabled"],
                    figures=data["figures"],
                    hidden=data["hidden"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Reliability report settings saved."))
                return redirect("console:report_settings")
    else:
        form = ReportSettingsForm(
            components=choices,
            initial={
                "enabled": current.enabled,
                "figures": [f for f in FIGURES if getattr(current, f)],
                "hidden": [c.public_id for c in every if c.pk in current.hidden],
            },
        )
    context = {
        "form": form,
        "current": current,
        "can_edit": request.user.has_perm(roles.MANAGE_BRANDING),
    }
    return render_page(
        request, "console/report_settings.html", context, status=400 if form.is_bound else 200
    )
