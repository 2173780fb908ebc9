from __future__ import annotations

from typing import Any

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents import sso
from incidents import two_factor as two_factor_services
from incidents.console.forms.auth import StaffAuthenticationForm, TotpForm
from incidents.console.views.base import console_actor, render_page, staff_required, submit_once


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = StaffAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        if sso.enabled():
            # Said plainly when the provider's last answer was a failure: break-glass
            # accounts then know to use the form.
            context["sso"] = {"required": sso.required(), "health": sso.health()}
        return context

    def form_valid(self, form: StaffAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        if form.otp_device is not None:
            django_otp.login(self.request, form.otp_device)
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link or prefetch must not end a responder's session."""

    next_page = "console:login"


_NEW_CODES = "two_factor_new_codes"  # session key: shown once on the next page, then dropped


@staff_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrolment: a TOTP secret for an authenticator app, confirmed by one code from it;
    then ten single-use recovery codes, shown once. Once on: new recovery codes."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        context = {
            "enrolled": True,
            "new_codes": request.session.pop(_NEW_CODES, None),
            "remaining": StaticToken.objects.filter(device__user=user).count(),
            "form": TotpForm(),
        }
        return render_page(request, "console/two_factor.html", context)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = TotpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            codes = two_factor_services.totp_confirm(device=device)
            django_otp.login(request, device)
            return render_page(request, "console/two_factor.html", {"codes": codes})
        form.add_error("token", two_factor_services.NOT_VALID)
    context = {"form": form, "secret": _spaced(device.key), "uri": device.config_url}
    return render_page(
        request, "console/two_factor.html", context, status=400 if form.errors else 200
    )


@staff_required
@submit_once
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes for the signed-in user, shown once on the two-factor page.

    A refused code is answered with a redirect as well, so that submit_once keeps the
    request's transaction: it holds django-otp's count of the failure (see
    two_factor.recovery_codes_regenerate)."""
    form = TotpForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        codes = two_factor_services.recovery_codes_regenerate(
            actor=console_actor(request), token=form.cleaned_data["token"]
        )
    except ValidationError as error:
        for reason in error.messages:
            messages.error(request, _("No new recovery codes: %(reason)s") % {"reason": reason})
    else:
        request.session[_NEW_CODES] = codes
    return redirect("console:two_factor")


def _spaced(hex_key: str) -> str:
    """The secret as authenticator apps take it by hand: base32, in groups of four."""
    from base64 import b32encode

    secret = b32encode(bytes.fromhex(hex_key)).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
