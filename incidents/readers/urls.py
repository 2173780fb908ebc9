"""The reader's public URLs (statuspage/urls.py mounts them at /reader/). The callback's
address is registered at the provider: it does not move with the language."""

from __future__ import annotations

from django.urls import URLPattern, path

from incidents.readers import views

app_name = "readers"

urlpatterns: list[URLPattern] = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("oidc/start/", views.OidcStartView.as_view(), name="oidc_start"),
    path("oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("link/<str:token>/", views.link, name="link"),
]
