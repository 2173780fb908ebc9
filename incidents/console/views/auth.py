from __future__ import annotations

from django.contrib.auth import views as auth_views

from incidents.console.forms.auth import StaffAuthenticationForm


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = StaffAuthenticationForm


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link or prefetch must not end a responder's session."""

    next_page = "console:login"
