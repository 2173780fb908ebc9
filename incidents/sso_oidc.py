"""The OpenID Connect side of staff single sign-on, on mozilla-django-oidc.

The library runs the authorization code flow: state and nonce kept in the session and
checked, PKCE (S256), the ID token's signature verified against the provider's JWKS and
its expiry checked. Here: the endpoints come from the issuer's discovery document, read
at every sign-in (a provider that is down is then told at once, rather than after a
redirect to a dead host); the token's issuer and audience are checked (the library does
not); every way the provider can fail becomes ProviderDown, and the claims go to
incidents/sso.py, which matches the account by issuer and subject.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from incidents import sso
from incidents.client_address import client_address
from incidents.sso import ProviderDown, SsoRefused


def discovery(issuer: str | None = None) -> dict[str, str]:
    """The provider's endpoints, from {issuer}/.well-known/openid-configuration (the staff
    client's issuer unless another is given: readers have their own, incidents/readers/)."""
    issuer = issuer or settings.CANDOR_OIDC_ISSUER
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.CANDOR_OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except requests.RequestException as exc:
        raise ProviderDown(f"its discovery document could not be read ({_why(exc)})") from exc
    except ValueError as exc:
        raise ProviderDown("its discovery document is not JSON") from exc
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ProviderDown("its discovery document names another issuer")
    wanted = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if not all(isinstance(document.get(key), str) for key in wanted):
        raise ProviderDown("its discovery document lacks an endpoint")
    return {k: v for k, v in document.items() if isinstance(v, str)}


def _why(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectionError):
        return "no connection"
    if isinstance(exc, requests.Timeout):
        return f"no answer within {settings.CANDOR_OIDC_TIMEOUT} s"
    if exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


class CandorOidcBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of a sign-in started at console:sso_start; does nothing
    for a password (ModelBackend's) or without SSO configured."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads the endpoints from settings here; Candor discovers them at
        # sign-in. A backend is also built to load each request's user from its session,
        # which must not ask the provider anything.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.OIDC_OP_TOKEN_ENDPOINT = self.OIDC_OP_JWKS_ENDPOINT = ""
        self.OIDC_OP_USER_ENDPOINT = ""
        self._issuer = ""

    def configured_issuer(self) -> str:
        """The issuer this client trusts ("" while off); the reader client has its own."""
        return str(settings.CANDOR_OIDC_ISSUER)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or "nonce" not in kwargs or not self.configured_issuer():
            return None
        endpoints = discovery(self.configured_issuer())
        self._issuer = endpoints["issuer"]
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints["token_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = endpoints["jwks_uri"]
        self.OIDC_OP_USER_ENDPOINT = endpoints.get("userinfo_endpoint", "")
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            response = exc.response
            if response is not None and 400 <= response.status_code < 500:
                # The provider refused the code (used twice, expired): not an outage.
                raise SsoRefused(
                    "The identity provider refused this sign-in. Start again."
                ) from exc
            raise ProviderDown(f"it did not complete the sign-in ({_why(exc)})") from exc
        except ValueError as exc:  # a token or key answer that is not JSON
            raise ProviderDown("it answered with something that is not JSON") from exc
        return user

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        # The library verified the signature, expiry and nonce; issuer and audience are ours.
        if payload.get("iss") != self._issuer:
            raise SuspiciousOperation("the ID token was issued by another issuer")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the ID token is for another client")
        return payload

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        info: dict[str, Any] = {}
        if self.OIDC_OP_USER_ENDPOINT:
            answer = self.get_userinfo(access_token, id_token, payload)
            info = answer if isinstance(answer, dict) else {}
        if info.get("sub", payload.get("sub")) != payload.get("sub"):
            raise SsoRefused("The identity provider described another account. Start again.")
        claims = sso.claims_clean(self._issuer, {**payload, **info, "sub": payload.get("sub")})
        return sso.sign_in(claims=claims, ip=client_address(self.request))
