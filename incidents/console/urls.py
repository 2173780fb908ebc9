"""The staff console. Every view but login and logout is wrapped in staff_required."""

from __future__ import annotations

from django.urls import URLPattern, path

from incidents.console.views import (
    audit,
    auth,
    branding,
    cadence,
    components,
    dashboard,
    decide,
    dependencies,
    forecast,
    incidents,
    ingest,
    maintenance,
    notifications,
    publishing,
    wording,
)
from incidents.console.views.preview import preview

app_name = "console"

urlpatterns: list[URLPattern] = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("two-factor/", auth.two_factor, name="two_factor"),
    path("two-factor/recovery-codes/", auth.recovery_codes, name="recovery_codes"),
    path("", dashboard.dashboard, name="dashboard"),
    path("forecast/", forecast.send_forecast, name="send_forecast"),
    path("notifications/sms-cost-cap/", forecast.sms_cost_cap_page, name="sms_cost_cap"),
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/new/", incidents.incident_new, name="incident_new"),
    path("incidents/<str:public_id>/", incidents.incident_detail, name="incident_detail"),
    path("incidents/<str:public_id>/resolve/", incidents.incident_resolve, name="incident_resolve"),
    path("incidents/<str:public_id>/owners/", cadence.incident_owners, name="incident_owners"),
    path("incidents/<str:public_id>/cadence/", cadence.incident_cadence, name="incident_cadence"),
    path("cadence/", cadence.cadence_settings, name="cadence"),
    path("contacts/", cadence.contact_list, name="contacts"),
    path("contacts/<str:public_id>/edit/", cadence.contact_edit, name="contact_edit"),
    path("reminders/", cadence.reminder_list, name="reminders"),
    path("reminders/<str:public_id>/ack/", cadence.reminder_ack, name="reminder_ack"),
    path("compliance/", cadence.compliance, name="compliance"),
    path("components/", components.component_list, name="components"),
    path("components/new/", components.component_new, name="component_new"),
    path("components/groups/new/", components.group_new, name="group_new"),
    path("components/<str:public_id>/edit/", components.component_edit, name="component_edit"),
    path(
        "components/<str:public_id>/status/",
        components.component_status,
        name="component_status",
    ),
    path("dependencies/", dependencies.dependency_graph, name="dependencies"),
    path(
        "components/<str:public_id>/dependencies/",
        dependencies.component_dependencies,
        name="component_dependencies",
    ),
    path(
        "dependencies/<str:public_id>/edit/", dependencies.dependency_edit, name="dependency_edit"
    ),
    path(
        "dependencies/<str:public_id>/remove/",
        dependencies.dependency_remove,
        name="dependency_remove",
    ),
    path("maintenance/", maintenance.maintenance_list, name="maintenance_list"),
    path("maintenance/new/", maintenance.maintenance_new, name="maintenance_new"),
    path("maintenance/<str:public_id>/", maintenance.maintenance_detail, name="maintenance_detail"),
    path("sources/", ingest.source_list, name="sources"),
    path("sources/new/", ingest.source_new, name="source_new"),
    path("sources/<slug:name>/", ingest.source_detail, name="source_detail"),
    path("sources/<slug:name>/rotate/", ingest.source_rotate, name="source_rotate"),
    path("sources/<slug:name>/delete/", ingest.source_delete, name="source_delete"),
    path("sources/<slug:name>/rules/", ingest.rule_add, name="rule_add"),
    path(
        "sources/<slug:name>/rules/<str:rule_id>/remove/",
        ingest.rule_remove,
        name="rule_remove",
    ),
    path("signals/", ingest.signal_list, name="signals"),
    path("proposals/", ingest.proposal_list, name="proposals"),
    path("proposals/<str:public_id>/", ingest.proposal_decide, name="proposal_decide"),
    path("audit/", audit.audit_log, name="audit"),
    path("publishing/", publishing.publishing, name="publishing"),
    path("branding/", branding.branding, name="branding"),
    path("preview/", preview, name="preview"),
    path("wording/check/", wording.wording_check, name="wording_check"),
    path("approvals/", wording.approvals_queue, name="approvals"),
    path("decide/<str:token>/", decide.decide, name="decide"),
    path("templates/", wording.templates, name="templates"),
    path("policy/", wording.policy, name="policy"),
    path("staff/", wording.staff, name="staff"),
    path("staff/<str:username>/roles/", wording.staff_roles, name="staff_roles"),
    path("subscribers/", notifications.subscriber_list, name="subscribers"),
    path("subscribers/import/", notifications.subscriber_import, name="subscriber_import"),
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/<str:kind>/<str:public_id>/retry/",
        notifications.notifications_retry,
        name="notifications_retry",
    ),
]
