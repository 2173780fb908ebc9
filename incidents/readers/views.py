"""The reader's pages: sign in (single sign-on, or a link by email), the link's page,
and sign out. Public URLs: no staff account is involved. Every answer is `no-store`:
it is about one person's session."""

from __future__ import annotations

from typing import Any

import jwt
from django import forms
from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from incidents.client_address import client_address
from incidents.models import ReaderVia
from incidents.public.views import render_page
from incidents.readers import links, oidc, session
from incidents.readers.audiences import email_clean
from incidents.sso import ProviderDown, SsoRefused
from incidents.sso_oidc import discovery
from incidents.text import printable


class LinkRequestForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Email address"), max_length=254, strip=True, required=True
    )

    def clean_email(self) -> str:
        try:
            return email_clean(self.cleaned_data["email"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["email"]) from None


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    rendered = render_page(
        request,
        template,
        {
            "csrf_token": get_token(request),
            "reader": request.session.get(session.SESSION_KEY),
            "oidc_on": oidc.enabled(),
            "oidc_label": settings.CANDOR_READER_OIDC_LABEL,
            **context,
        },
        status=status,
    )
    response = HttpResponse(rendered.body, content_type=rendered.content_type, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """The sign-in page; its form asks for a new link (the same answer for any address)."""
    form = LinkRequestForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _page(request, "readers/sign_in.html", {"form": form, "next": _next(request)})
    if not form.is_valid():
        return _page(request, "readers/sign_in.html", {"form": form}, status=400)
    if not links.link_request(email=form.cleaned_data["email"], ip=client_address(request)):
        response = _page(
            request,
            "readers/sign_in.html",
            {
                "form": LinkRequestForm(),
                "limited": _("Too many links asked for from here. Try again in an hour."),
            },
            status=429,
        )
        response["Retry-After"] = "3600"
        return response
    return _page(request, "readers/link_sent.html", {})


def _next(request: HttpRequest) -> str:
    """Where to go after single sign-on (a page of this site only), or ""."""
    wanted = request.GET.get("next", "")
    if (
        len(wanted) <= 2000
        and wanted.startswith("/")
        and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return wanted
    return ""


def _refused(request: HttpRequest, *, reason: str, shown: str, via: ReaderVia) -> HttpResponse:
    oidc.refusal_record(reason=reason, ip=client_address(request), via=via, now=timezone.now())
    return _page(
        request,
        "readers/refused.html",
        {"shown": shown, "form": LinkRequestForm()},
        status=403,
    )


class OidcStartView(OIDCAuthenticationRequestView):
    """To the reader provider with state, nonce and a PKCE challenge (the library's),
    after reading its endpoints, so a provider that is down is said so here."""

    get_settings = staticmethod(oidc.reader_setting)

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.CANDOR_READER_OIDC_CLIENT_ID
        self.OIDC_OP_AUTH_ENDPOINT = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc.enabled():
            raise Http404("reader single sign-on is off")
        try:
            endpoints = discovery(settings.CANDOR_READER_OIDC_ISSUER)
        except ProviderDown as exc:
            return _down(request, exc)
        self.OIDC_OP_AUTH_ENDPOINT = endpoints["authorization_endpoint"]
        response: HttpResponse = super().get(request)
        return response


def _down(request: HttpRequest, exc: ProviderDown) -> HttpResponse:
    return _refused(
        request,
        reason=f"the identity provider failed: {exc}",
        shown=_(
            "Single sign-on is not working: the identity provider failed (%(why)s). "
            "If you were invited by email, ask for a sign-in link below."
        )
        % {"why": exc},
        via=ReaderVia.OIDC,
    )


@require_http_methods(["GET"])
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the reader back: state, then the code exchanged with the
    nonce and PKCE verifier the start stored (mozilla-django-oidc's session entry)."""
    if not oidc.enabled():
        raise Http404("reader single sign-on is off")
    states = request.session.get("oidc_states")
    state = request.GET.get("state", "")
    entry = states.pop(state, None) if isinstance(states, dict) and state else None
    if entry is not None:
        request.session.modified = True  # a state is spent once, whatever follows
    error = request.GET.get("error", "")
    if error:
        shown = printable(error[:80], multiline=False)
        return _refused(
            request,
            reason=f"the provider answered {shown}",
            shown=_("The identity provider did not sign you in (%(error)s).") % {"error": shown},
            via=ReaderVia.OIDC,
        )
    if not isinstance(entry, dict) or not request.GET.get("code"):
        return _refused(
            request,
            reason="a callback without a sign-in started here",
            shown=_("This sign-in was not started here, or was already used. Start again."),
            via=ReaderVia.OIDC,
        )
    # Set by the start view (mozilla-django-oidc checks it is a page of this site).
    next_url = request.session.get("oidc_login_next")
    client = oidc.ReaderOidcClient()
    try:
        client.authenticate(
            request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
        )
    except ProviderDown as exc:
        return _down(request, exc)
    except SsoRefused as exc:
        return _refused(request, reason=str(exc), shown=str(exc), via=ReaderVia.OIDC)
    except (SuspiciousOperation, jwt.InvalidTokenError) as exc:
        return _refused(
            request,
            reason=f"not verified: {exc}",
            shown=_("This sign-in could not be verified. Start again."),
            via=ReaderVia.OIDC,
        )
    if client.signed_in is None:
        return _refused(
            request,
            reason="the provider's answer gave no account",
            shown=_("This sign-in could not be verified. Start again."),
            via=ReaderVia.OIDC,
        )
    session.session_start(
        request=request,
        reader=client.signed_in.reader,
        audiences=client.signed_in.audiences,
        via=ReaderVia.OIDC,
        now=timezone.now(),
    )
    if isinstance(next_url, str) and next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("readers:sign_in")


@require_http_methods(["GET", "HEAD", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (and spends nothing); POST spends the link and signs in."""
    now = timezone.now()
    try:
        if request.method != "POST":
            links.link_check(token=token, now=now)
            return _page(request, "readers/link.html", {"token": token})
        signed = links.link_open(token=token, now=now)
    except links.LinkRefused as exc:
        return _refused(request, reason=str(exc), shown=str(exc), via=ReaderVia.LINK)
    session.session_start(
        request=request,
        reader=signed.reader,
        audiences=signed.audiences,
        via=ReaderVia.LINK,
        now=now,
    )
    return redirect("readers:sign_in")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session.session_end(request=request, now=timezone.now())
    return redirect("readers:sign_in")
