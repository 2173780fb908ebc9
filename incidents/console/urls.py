"""The staff console. Every view but login and logout is wrapped in staff_required."""

from __future__ import annotations

from django.urls import URLPattern, path

from incidents.console.views import (
    audit,
    auth,
    components,
    dashboard,
    incidents,
    maintenance,
    notifications,
    publishing,
)
from incidents.console.views.preview import preview

app_name = "console"

urlpatterns: list[URLPattern] = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/new/", incidents.incident_new, name="incident_new"),
    path("incidents/<str:public_id>/", incidents.incident_detail, name="incident_detail"),
    path("incidents/<str:public_id>/resolve/", incidents.incident_resolve, name="incident_resolve"),
    path("components/", components.component_list, name="components"),
    path("components/new/", components.component_new, name="component_new"),
    path("components/groups/new/", components.group_new, name="group_new"),
    path("components/<str:public_id>/edit/", components.component_edit, name="component_edit"),
    path(
        "components/<str:public_id>/status/",
        components.component_status,
        name="component_status",
    ),
    path("maintenance/", maintenance.maintenance_list, name="maintenance_list"),
    path("maintenance/new/", maintenance.maintenance_new, name="maintenance_new"),
    path("maintenance/<str:public_id>/", maintenance.maintenance_detail, name="maintenance_detail"),
    path("audit/", audit.audit_log, name="audit"),
    path("publishing/", publishing.publishing, name="publishing"),
    path("preview/", preview, name="preview"),
    path("subscribers/", notifications.subscriber_list, name="subscribers"),
    path("subscribers/import/", notifications.subscriber_import, name="subscriber_import"),
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/<str:kind>/<str:public_id>/retry/",
        notifications.notifications_retry,
        name="notifications_retry",
    ),
]
