"""/api/v1/: Statuspage's management API paths, with or without `.json`, as its clients
send them (incidents/api/v1_views.py)."""

from __future__ import annotations

from django.urls import re_path

from incidents.api import v1_views as v

app_name = "v1_api"

PAGE = r"^pages/(?P<page_id>[^/]+)"
END = r"(?:\.json)?/?$"

urlpatterns = [
    re_path(r"^pages" + END, v.PagesView.as_view(), name="pages"),
    # The page's id may not end in .json: the suffix belongs to the path.
    re_path(r"^pages/(?P<page_id>[^/]+?)" + END, v.PageView.as_view(), name="page"),
    re_path(PAGE + r"/components" + END, v.ComponentsView.as_view(), name="components"),
    re_path(
        PAGE + r"/components/(?P<component_id>[^/]+?)" + END,
        v.ComponentView.as_view(),
        name="component",
    ),
    re_path(PAGE + r"/incidents" + END, v.IncidentsView.as_view(), name="incidents"),
    # Before incidents/<id>: "unresolved" is not an incident's id.
    re_path(
        PAGE + r"/incidents/unresolved" + END,
        v.UnresolvedIncidentsView.as_view(),
        name="incidents-unresolved",
    ),
    re_path(
        PAGE + r"/incidents/(?P<incident_id>[^/]+?)" + END,
        v.IncidentView.as_view(),
        name="incident",
    ),
    re_path(PAGE + r"/subscribers" + END, v.SubscribersView.as_view(), name="subscribers"),
    re_path(
        PAGE + r"/subscribers/(?P<subscriber_id>[^/]+?)" + END,
        v.SubscriberView.as_view(),
        name="subscriber",
    ),
]
