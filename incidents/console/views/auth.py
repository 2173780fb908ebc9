from __future__ import annotations

import django_otp
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.console.forms.auth import EnrolForm, StaffAuthenticationForm
from incidents.console.views.base import render_page, staff_required

RECOVERY_CODES = 10


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = StaffAuthenticationForm

    def form_valid(self, form: StaffAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        if form.otp_device is not None:
            django_otp.login(self.request, form.otp_device)
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link or prefetch must not end a responder's session."""

    next_page = "console:login"


@staff_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrolment: a TOTP secret for an authenticator app, confirmed by one code from it;
    then ten single-use recovery codes, shown once."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        remaining = StaticToken.objects.filter(device__user=user).count()
        return render_page(
            request, "console/two_factor.html", {"enrolled": True, "remaining": remaining}
        )
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            codes = _confirm(device)
            django_otp.login(request, device)
            return render_page(request, "console/two_factor.html", {"codes": codes})
        form.add_error("token", "That code is not valid. Check the time on your phone.")
    context = {"form": form, "secret": _spaced(device.key), "uri": device.config_url}
    return render_page(
        request, "console/two_factor.html", context, status=400 if form.errors else 200
    )


def _confirm(device: TOTPDevice) -> list[str]:
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=device.user).delete()
        static = StaticDevice.objects.create(user=device.user, name="Recovery codes")
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def _spaced(hex_key: str) -> str:
    """The secret as authenticator apps take it by hand: base32, in groups of four."""
    from base64 import b32encode

    secret = b32encode(bytes.fromhex(hex_key)).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
