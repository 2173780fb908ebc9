from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User


class StaffAuthenticationForm(AuthenticationForm):
    """Only staff may sign in to the console; say so rather than fail later with a 403."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_staff": "This is not a staff account. Ask an administrator for console access.",
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")
