"""Signing in: password, then the two-factor code once enrolled; failures throttled."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from incidents import sso
from incidents.client_address import client_address
from incidents.ratelimit import window_clear, window_count, window_hit


def login_name(raw: str, max_length: int | None) -> str:
    """The username as sign-in matches it, folded: Django's username field strips it and
    applies NFKC (up to its max length), so " rita", "\trita" and "rita" in fullwidth
    letters are all Rita and share one failure count. Casefolding merges more, never less."""
    name = raw.strip()
    if max_length is None or len(name) <= max_length:
        name = unicodedata.normalize("NFKC", name)
    return name.casefold()


def _throttle_key(username: str, ip: str) -> str:
    # Hashed: any string a visitor sends is safe as part of a cache key.
    digest = hashlib.sha256(f"{username}\0{ip}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"login-failures:{digest}"


class StaffAuthenticationForm(AuthenticationForm):
    """Only staff may sign in to the console; say so rather than fail later with a 403.

    A staff member with a confirmed two-factor device also gives its code (or a recovery
    code). Failed attempts are counted per username and address; past
    CANDOR_LOGIN_FAILURES_ALLOWED within CANDOR_LOGIN_LOCKOUT_SECONDS, sign-in for that
    pair is refused without checking anything, until the window passes.
    """

    otp_token = forms.CharField(
        label=_("Two-factor code"),
        required=False,
        max_length=16,
        help_text=_(
            "From your authenticator app, or one of your recovery codes. Leave empty "
            "if you have not set up two-factor login."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_staff": "This is not a staff account. Ask an administrator for console access.",
        "otp_required": "Enter the code from your authenticator app (or a recovery code).",
        "otp_invalid": "That two-factor code is not valid. Codes change every 30 seconds.",
        "throttled": "Too many failed sign-ins for this account from your address. "
        "Try again in {minutes} minutes.",
    }

    otp_device: Device | None = None

    def clean(self) -> dict[str, Any]:
        raw = self.data.get("username", "")
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)  # Django's AuthenticationForm's
        name = login_name(raw if isinstance(raw, str) else "", username.max_length)
        key = _throttle_key(name, self._ip())
        if window_count(key) >= settings.CANDOR_LOGIN_FAILURES_ALLOWED:
            minutes = -(-settings.CANDOR_LOGIN_LOCKOUT_SECONDS // 60)
            raise forms.ValidationError(
                self.error_messages["throttled"].format(minutes=minutes), code="throttled"
            )
        try:
            cleaned = super().clean()
            self._check_second_factor()
        except forms.ValidationError:
            window_hit(key, seconds=settings.CANDOR_LOGIN_LOCKOUT_SECONDS)
            raise
        window_clear(key)
        return cleaned

    def _ip(self) -> str:
        return client_address(self.request) if self.request else ""

    def _check_second_factor(self) -> None:
        user = self.get_user()
        if user is None or not django_otp.user_has_device(user):
            return
        token = self.cleaned_data.get("otp_token", "").replace(" ", "")
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        self.otp_device = django_otp.match_token(user, token)
        if self.otp_device is None:
            raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")
        if refusal := sso.local_sign_in_refusal(user):
            raise forms.ValidationError(refusal, code="sso_only")


class TotpForm(forms.Form):
    """A code from the authenticator app: to turn two-factor login on, or to prove the
    phone is at hand."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        error_messages={"required": "Enter the code from your authenticator app."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
