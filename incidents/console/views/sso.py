"""Staff single sign-on: starting a sign-in at the provider, its callback, and the Admin's
break-glass mark. Every failure lands back on the login page saying what happened, with
the break-glass form still there (incidents/sso.py)."""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from incidents import sso
from incidents.client_address import client_address
from incidents.console.views.base import console_actor, staff_required, submit_once
from incidents.sso import ProviderDown, SsoRefused
from incidents.sso_oidc import discovery
from incidents.text import printable

BREAK_GLASS_HINT = gettext_noop(
    "If you hold a break-glass account, sign in below with your password and two-factor code."
)


def _down(request: HttpRequest, exc: ProviderDown) -> HttpResponse:
    sso.provider_failure_record(reason=f"the identity provider failed: {exc}", ip=_ip(request))
    messages.error(
        request,
        _("Single sign-on is not working: the identity provider failed (%(exc)s). %(hint)s")
        % {"exc": exc, "hint": _(BREAK_GLASS_HINT)},
    )
    return redirect("console:login")


def _ip(request: HttpRequest) -> str:
    return client_address(request)


class SsoStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with state, nonce and a PKCE challenge; asks the
    provider for its endpoints first, so that one that is down is said so here."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the library would read the endpoint from settings
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_OP_AUTH_ENDPOINT = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso.enabled():
            raise Http404("single sign-on is off")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery()["authorization_endpoint"]
        except ProviderDown as exc:
            return _down(request, exc)
        response: HttpResponse = super().get(request)
        return response


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back. The library checks state, nonce and
    the token; refusals and failures are audited and told on the login page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso.enabled():
            raise Http404("single sign-on is off")
        error = request.GET.get("error", "")
        try:
            response: HttpResponse = super().get(request)
        except ProviderDown as exc:
            return _down(request, exc)
        except SsoRefused as exc:
            return self._refused(str(exc), str(exc))
        except (SuspiciousOperation, jwt.InvalidTokenError) as exc:
            return self._refused(
                f"not verified: {exc}", "This sign-in could not be verified. Start again."
            )
        if error:
            shown = printable(error[:80], multiline=False)
            return self._refused(
                f"the provider answered {shown}",
                f"The identity provider did not sign you in ({shown}).",
            )
        return response

    def _refused(self, reason: str, shown: str) -> HttpResponse:
        sso.refusal_record(reason=reason, ip=_ip(self.request))
        messages.error(self.request, shown)
        return redirect("console:login")

    def login_failure(self) -> HttpResponse:
        return HttpResponseRedirect(reverse("console:login"))

    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        # The provider's sign-in stands for the second factor (CANDOR_REQUIRE_2FA).
        self.request.session[sso.SESSION_KEY] = True
        return response


@staff_required
@submit_once
@require_POST
def break_glass(request: HttpRequest, username: str) -> HttpResponse:
    user = get_object_or_404(User, username=username, is_staff=True)
    on = request.POST.get("break_glass") == "on"
    sso.break_glass_set(actor=console_actor(request), user=user, on=on)
    said = (
        _("%(username)s may sign in with a password (break-glass).")
        if on
        else _("%(username)s may no longer sign in with a password (break-glass).")
    )
    messages.success(request, said % {"username": user.username})
    return redirect("console:staff")
