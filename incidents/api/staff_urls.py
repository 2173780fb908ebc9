"""/api/staff/: the staff REST API. Resources are addressed by their public id."""

from __future__ import annotations

from django.urls import path

from incidents.api import (
    audience_views,
    audience_visibility_views,
    postmortem_views,
    publish_views,
    source_views,
    subscriber_views,
    translation_views,
    vendor_views,
)
from incidents.api import staff_views as v
from incidents.api.branding_views import BrandingView

app_name = "staff_api"

urlpatterns = [
    # Audiences (api/audience_visibility_views.py): before the resources' own detail routes is not
    # needed, each is one level deeper.
    path(
        "incidents/<str:public_id>/audiences/",
        audience_visibility_views.IncidentAudiencesView.as_view(),
        name="incident-audiences",
    ),
    path(
        "incidents/<str:public_id>/audience-words/",
        audience_visibility_views.IncidentAudienceWordsView.as_view(),
        name="incident-audience-words",
    ),
    path(
        "maintenances/<str:public_id>/audiences/",
        audience_visibility_views.MaintenanceAudiencesView.as_view(),
        name="maintenance-audiences",
    ),
    path(
        "maintenances/<str:public_id>/audience-words/",
        audience_visibility_views.MaintenanceAudienceWordsView.as_view(),
        name="maintenance-audience-words",
    ),
    path(
        "components/<str:public_id>/audiences/",
        audience_visibility_views.ComponentAudiencesView.as_view(),
        name="component-audiences",
    ),
    path(
        "audiences/<str:slug>/tokens/",
        audience_visibility_views.AudienceTokensView.as_view(),
        name="audience-tokens",
    ),
    path(
        "audiences/<str:slug>/tokens/<str:pk>/",
        audience_visibility_views.AudienceTokenView.as_view(),
        name="audience-token",
    ),
    path("incidents/", v.IncidentsView.as_view(), name="incidents"),
    # Before incidents/<id>/: "forecast" is not an incident's id.
    path("incidents/forecast/", v.IncidentForecastView.as_view(), name="incident-forecast"),
    path("incidents/<str:public_id>/", v.IncidentDetailView.as_view(), name="incident"),
    path(
        "incidents/<str:public_id>/updates/",
        v.IncidentUpdatesView.as_view(),
        name="incident-updates",
    ),
    path(
        "incidents/<str:public_id>/updates/forecast/",
        v.IncidentUpdateForecastView.as_view(),
        name="incident-update-forecast",
    ),
    path(
        "incidents/<str:public_id>/resolve/forecast/",
        v.IncidentResolveForecastView.as_view(),
        name="incident-resolve-forecast",
    ),
    path(
        "incidents/<str:public_id>/resolve/",
        v.IncidentResolveView.as_view(),
        name="incident-resolve",
    ),
    path(
        "incidents/<str:public_id>/owners/", v.IncidentOwnersView.as_view(), name="incident-owners"
    ),
    path(
        "incidents/<str:public_id>/cadence/",
        v.IncidentCadenceView.as_view(),
        name="incident-cadence",
    ),
    path(
        "incidents/<str:public_id>/postmortem/",
        postmortem_views.PostmortemView.as_view(),
        name="incident-postmortem",
    ),
    path(
        "incidents/<str:public_id>/postmortem/approve/",
        postmortem_views.PostmortemApproveView.as_view(),
        name="incident-postmortem-approve",
    ),
    path(
        "incidents/<str:public_id>/postmortem/reject/",
        postmortem_views.PostmortemRejectView.as_view(),
        name="incident-postmortem-reject",
    ),
    path(
        "incidents/<str:public_id>/postmortem/publish/",
        postmortem_views.PostmortemPublishView.as_view(),
        name="incident-postmortem-publish",
    ),
    path(
        "incidents/<str:public_id>/postmortem/publish/forecast/",
        postmortem_views.PostmortemPublishForecastView.as_view(),
        name="incident-postmortem-publish-forecast",
    ),
    path("cadence/", v.CadencePoliciesView.as_view(), name="cadence"),
    path("cadence/<str:impact>/", v.CadencePolicyView.as_view(), name="cadence-policy"),
    path("contacts/", v.ContactsView.as_view(), name="contacts"),
    path("branding/", BrandingView.as_view(), name="branding"),
    path("components/", v.ComponentsView.as_view(), name="components"),
    path("components/<str:public_id>/", v.ComponentDetailView.as_view(), name="component"),
    path(
        "components/<str:public_id>/status/",
        v.ComponentStatusView.as_view(),
        name="component-status",
    ),
    path("groups/", v.GroupsView.as_view(), name="groups"),
    path("dependencies/", v.DependenciesView.as_view(), name="dependencies"),
    path("dependencies/<str:public_id>/", v.DependencyDetailView.as_view(), name="dependency"),
    path("vendors/", vendor_views.VendorsView.as_view(), name="vendors"),
    path("vendors/<str:public_id>/", vendor_views.VendorDetailView.as_view(), name="vendor"),
    path(
        "vendors/<str:public_id>/components/",
        vendor_views.VendorComponentsView.as_view(),
        name="vendor-components",
    ),
    path(
        "vendors/<str:public_id>/poll/",
        vendor_views.VendorPollView.as_view(),
        name="vendor-poll",
    ),
    path("proposals/", v.ProposalsView.as_view(), name="proposals"),
    path("proposals/<str:public_id>/", v.ProposalDetailView.as_view(), name="proposal"),
    path(
        "proposals/<str:public_id>/publish/",
        v.ProposalPublishView.as_view(),
        name="proposal-publish",
    ),
    path(
        "proposals/<str:public_id>/dismiss/",
        v.ProposalDismissView.as_view(),
        name="proposal-dismiss",
    ),
    path("maintenances/", v.MaintenancesView.as_view(), name="maintenances"),
    path(
        "maintenances/forecast/", v.MaintenanceForecastView.as_view(), name="maintenance-forecast"
    ),
    path("maintenances/<str:public_id>/", v.MaintenanceDetailView.as_view(), name="maintenance"),
    path(
        "maintenances/<str:public_id>/updates/",
        v.MaintenanceUpdatesView.as_view(),
        name="maintenance-updates",
    ),
    path(
        "maintenances/<str:public_id>/updates/forecast/",
        v.MaintenanceUpdateForecastView.as_view(),
        name="maintenance-update-forecast",
    ),
    path("notify/sms-cost-cap/", v.SmsCostCapView.as_view(), name="sms-cost-cap"),
    path("audit/", v.AuditView.as_view(), name="audit"),
    path("subscribers/", subscriber_views.SubscribersView.as_view(), name="subscribers"),
    # Before subscribers/<id>/: "import" and "export" are not ids.
    path(
        "subscribers/import/",
        subscriber_views.SubscribersImportView.as_view(),
        name="subscribers-import",
    ),
    path(
        "subscribers/export/",
        subscriber_views.SubscribersExportView.as_view(),
        name="subscribers-export",
    ),
    path(
        "subscribers/<str:public_id>/",
        subscriber_views.SubscriberDetailView.as_view(),
        name="subscriber",
    ),
    path("sources/", source_views.SourcesView.as_view(), name="sources"),
    path("sources/<str:name>/", source_views.SourceDetailView.as_view(), name="source"),
    path(
        "sources/<str:name>/rotate/", source_views.SourceRotateView.as_view(), name="source-rotate"
    ),
    path("sources/<str:name>/rules/", source_views.SourceRulesView.as_view(), name="source-rules"),
    path(
        "sources/<str:name>/rules/<str:rule_id>/",
        source_views.SourceRuleView.as_view(),
        name="source-rule",
    ),
    path("publish/", publish_views.PublishView.as_view(), name="publish"),
    path("publish/verify/", publish_views.PublishVerifyView.as_view(), name="publish-verify"),
    path("templates/", v.TemplatesView.as_view(), name="templates"),
    path(
        "templates/<str:public_id>/versions/<str:number>/translations/",
        translation_views.TemplateTranslationsView.as_view(),
        name="template-translations",
    ),
    path(
        "translations/<str:translation_id>/approve/",
        translation_views.TranslationApproveView.as_view(),
        name="translation-approve",
    ),
    path("custom-texts/", v.CustomTextsView.as_view(), name="custom-texts"),
    path(
        "custom-texts/<str:public_id>/approve/",
        v.CustomTextApproveView.as_view(),
        name="custom-text-approve",
    ),
    path(
        "custom-texts/<str:public_id>/reject/",
        v.CustomTextRejectView.as_view(),
        name="custom-text-reject",
    ),
    path("audiences/", audience_views.AudiencesView.as_view(), name="audiences"),
    path("audiences/<str:slug>/", audience_views.AudienceView.as_view(), name="audience"),
    path(
        "audiences/<str:slug>/members/",
        audience_views.MembersView.as_view(),
        name="audience-members",
    ),
    path(
        "audiences/<str:slug>/members/<str:pk>/revoke/",
        audience_views.MemberRevokeView.as_view(),
        name="audience-member-revoke",
    ),
    path(
        "audiences/<str:slug>/invitations/",
        audience_views.InvitationsView.as_view(),
        name="audience-invitations",
    ),
    path(
        "audiences/<str:slug>/invitations/<str:pk>/revoke/",
        audience_views.InvitationRevokeView.as_view(),
        name="audience-invitation-revoke",
    ),
]
