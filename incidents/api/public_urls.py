"""/api/v2/: the Statuspage-compatible public API, one route per document."""

from __future__ import annotations

from django.urls import path

from incidents.api.public_views import DOCUMENTS, StatuspageView

app_name = "api_v2"


def _name(route: str) -> str:
    """summary.json -> "summary", incidents/unresolved.json -> "incidents-unresolved"."""
    return route.removesuffix(".json").replace("/", "-")


urlpatterns = [
    path(route, StatuspageView.as_view(document=build), name=_name(route))
    for route, build in DOCUMENTS.items()
]
