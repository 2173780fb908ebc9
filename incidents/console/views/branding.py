"""Page branding in the console: name, logo, favicon, accent colours, support link."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from incidents import roles
from incidents.branding import service
from incidents.branding.brand import current_brand
from incidents.console.forms.branding import BrandingForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    render_page,
    staff_required,
    submit_once,
)
from incidents.models import Branding


@staff_required
@submit_once
def branding(request: HttpRequest) -> HttpResponse:
    row = Branding.objects.filter(pk=Branding.SINGLETON).defer("logo", "favicon").first()
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                service.branding_set(
                    actor=console_actor(request),
                    site_name=data["site_name"],
                    accent_light=data["accent_light"],
                    accent_dark=data["accent_dark"],
                    support_url=data["support_url"],
                    logo=form.image_change("logo"),
                    favicon=form.image_change("favicon"),
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Branding saved. The public page shows it now."))
                return redirect("console:branding")
    else:
        form = BrandingForm(
            initial={
                "site_name": row.site_name if row else "",
                "accent_light": row.accent_light if row else "",
                "accent_dark": row.accent_dark if row else "",
                "support_url": row.support_url if row else "",
            }
        )
    context = {
        "form": form,
        "brand": current_brand(),
        "can_edit": request.user.has_perm(roles.MANAGE_BRANDING),
    }
    return render_page(
        request, "console/branding.html", context, status=400 if form.is_bound else 200
    )
