"""Who may do what, for the console and the staff API alike: one table.

Every console URL and every staff API operation is listed by its URL name. Reading takes
a staff account (any role, or none); writing (POST, PUT, PATCH, DELETE) takes the
permission listed (roles.py says which roles hold it). A URL missing from the table is
refused, and tests/test_permissions.py fails, so a new page cannot be added unguarded.

The console checks the table in staff_required (console/views/base.py), the API in its
permission class (api/staff_views.py); services that only staff perform check again
themselves (roles.require_permission), whatever the channel.
"""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest

from incidents import roles

# Special entries besides a permission name.
PUBLIC: Final = "public"  # no account needed (signing in and out)
ANY_STAFF: Final = "any staff"  # the user's own account, or a check that writes nothing
READ_ONLY: Final = "read only"  # no writes here: other methods are not allowed (405)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

WRITES: dict[str, str] = {
    # -- console --------------------------------------------------------------------------
    "console:login": PUBLIC,
    "console:logout": PUBLIC,
    # Single sign-on: the provider's round trip happens before there is an account.
    "console:sso_start": PUBLIC,
    "console:sso_callback": PUBLIC,
    "console:two_factor": ANY_STAFF,
    "console:recovery_codes": ANY_STAFF,
    "console:language": ANY_STAFF,  # the user's own console language
    "console:preview": ANY_STAFF,
    "console:wording_check": ANY_STAFF,
    "console:send_forecast": ANY_STAFF,  # a post form's figures; writes nothing
    "console:sms_cost_cap": roles.MANAGE_POLICY,  # an Admin's spending rule
    "console:dashboard": READ_ONLY,
    "console:incident_list": READ_ONLY,
    "console:incident_new": roles.POST_UPDATES,
    "console:incident_detail": roles.POST_UPDATES,
    "console:incident_resolve": roles.POST_UPDATES,
    "console:incident_owners": roles.POST_UPDATES,
    "console:incident_cadence": roles.POST_UPDATES,
    "console:postmortem": roles.POST_UPDATES,
    "console:postmortem_approve": roles.APPROVE_WORDING,
    "console:postmortem_reject": roles.APPROVE_WORDING,
    "console:postmortem_publish": roles.POST_UPDATES,
    "console:cadence": roles.POST_UPDATES,
    "console:contacts": roles.POST_UPDATES,
    "console:contact_edit": roles.POST_UPDATES,
    "console:reminders": READ_ONLY,
    "console:reminder_ack": roles.POST_UPDATES,
    "console:compliance": READ_ONLY,
    "console:components": READ_ONLY,
    "console:component_new": roles.MANAGE_COMPONENTS,
    "console:group_new": roles.MANAGE_COMPONENTS,
    "console:component_edit": roles.MANAGE_COMPONENTS,
    "console:component_audiences": roles.MANAGE_COMPONENTS,
    "console:incident_audiences": roles.POST_UPDATES,
    "console:incident_audience_words": roles.POST_UPDATES,
    "console:maintenance_audiences": roles.POST_UPDATES,
    "console:maintenance_audience_words": roles.POST_UPDATES,
    "console:audience_tokens": roles.MANAGE_POLICY,  # creating one is an Admin's
    "console:audience_token_revoke": roles.MANAGE_POLICY,
    "console:component_status": roles.POST_UPDATES,
    # What depends on what decides the impact proposed; auto-apply edges take an Admin
    # (dependencies/graph.py checks manage_policy itself).
    "console:dependencies": READ_ONLY,
    "console:component_dependencies": roles.MANAGE_COMPONENTS,
    "console:dependency_edit": roles.MANAGE_COMPONENTS,
    "console:dependency_remove": roles.MANAGE_COMPONENTS,
    "console:maintenance_list": READ_ONLY,
    "console:maintenance_new": roles.POST_UPDATES,
    "console:maintenance_detail": roles.POST_UPDATES,
    # Monitors and their rules decide which components a signal moves.
    "console:sources": READ_ONLY,
    "console:source_new": roles.MANAGE_COMPONENTS,
    "console:source_detail": roles.MANAGE_COMPONENTS,
    "console:source_rotate": roles.MANAGE_COMPONENTS,
    "console:source_delete": roles.REMOVE_SOURCES,
    "console:rule_add": roles.MANAGE_COMPONENTS,
    "console:rule_remove": roles.MANAGE_COMPONENTS,
    "console:signals": READ_ONLY,
    # Vendors: whose status pages we poll and which of their components drive ours.
    "console:vendors": roles.MANAGE_VENDORS,
    "console:vendor_detail": roles.MANAGE_VENDORS,
    "console:vendor_poll": roles.MANAGE_VENDORS,
    "console:vendor_remove": roles.MANAGE_VENDORS,
    # Importing a Statuspage page takes it over: components, history and subscribers. An
    # Admin's (manage_policy is the Admin-only permission closest to it).
    "console:imports": roles.MANAGE_POLICY,
    "console:import_detail": READ_ONLY,
    "console:proposals": READ_ONLY,
    "console:proposal_decide": roles.POST_UPDATES,  # accepting one posts the update
    "console:audit": READ_ONLY,
    "console:publishing": roles.POST_UPDATES,  # "publish now"
    "console:branding": roles.MANAGE_BRANDING,
    # What the public reliability report shows: an Admin's, like the page's branding.
    "console:report_settings": roles.MANAGE_BRANDING,
    "console:approvals": roles.APPROVE_WORDING,
    "console:decide": roles.APPROVE_WORDING,
    "console:templates": roles.WRITE_TEMPLATES,
    "console:template_translations": roles.WRITE_TEMPLATES,  # approved in the queue
    "console:policy": roles.MANAGE_POLICY,
    "console:staff": READ_ONLY,
    "console:staff_roles": roles.MANAGE_ROLES,
    "console:staff_break_glass": roles.MANAGE_ROLES,  # who may bypass single sign-on
    # Audiences decide who reads what beyond the public page: an Admin's, as roles are.
    "console:audiences": roles.MANAGE_ROLES,
    "console:audience_detail": roles.MANAGE_ROLES,
    "console:audience_invite": roles.MANAGE_ROLES,
    "console:audience_member_revoke": roles.MANAGE_ROLES,
    "console:audience_invitation_revoke": roles.MANAGE_ROLES,
    "console:subscribers": READ_ONLY,
    "console:subscriber_import": roles.POST_UPDATES,  # who gets the updates
    "console:notifications": READ_ONLY,
    "console:notifications_retry": roles.POST_UPDATES,
    # -- staff API (/api/staff/) ----------------------------------------------------------
    "staff_api:incidents": roles.POST_UPDATES,
    # Audiences (issue 19): who reads what is decided by who posts; tokens are an Admin's.
    "staff_api:incident-audiences": roles.POST_UPDATES,
    "staff_api:incident-audience-words": roles.POST_UPDATES,
    "staff_api:maintenance-audiences": roles.POST_UPDATES,
    "staff_api:maintenance-audience-words": roles.POST_UPDATES,
    "staff_api:component-audiences": roles.MANAGE_COMPONENTS,
    "staff_api:audience-tokens": roles.MANAGE_POLICY,
    "staff_api:audience-token": roles.MANAGE_POLICY,
    "staff_api:incident": roles.POST_UPDATES,
    "staff_api:incident-updates": roles.POST_UPDATES,
    "staff_api:incident-resolve": roles.POST_UPDATES,
    "staff_api:incident-owners": roles.POST_UPDATES,
    "staff_api:incident-cadence": roles.POST_UPDATES,
    # Responders write and publish a postmortem; approvers approve it.
    "staff_api:incident-postmortem": roles.POST_UPDATES,
    "staff_api:incident-postmortem-approve": roles.APPROVE_WORDING,
    "staff_api:incident-postmortem-reject": roles.APPROVE_WORDING,
    "staff_api:incident-postmortem-publish": roles.POST_UPDATES,
    "staff_api:cadence": READ_ONLY,
    "staff_api:cadence-policy": roles.POST_UPDATES,
    "staff_api:contacts": roles.POST_UPDATES,
    "staff_api:branding": roles.MANAGE_BRANDING,
    "staff_api:components": roles.MANAGE_COMPONENTS,
    "staff_api:component": roles.MANAGE_COMPONENTS,
    "staff_api:component-status": roles.POST_UPDATES,
    "staff_api:groups": roles.MANAGE_COMPONENTS,
    "staff_api:dependencies": roles.MANAGE_COMPONENTS,
    "staff_api:dependency": roles.MANAGE_COMPONENTS,
    "staff_api:vendors": roles.MANAGE_VENDORS,
    "staff_api:vendor": roles.MANAGE_VENDORS,
    "staff_api:vendor-components": roles.MANAGE_VENDORS,
    "staff_api:vendor-poll": roles.MANAGE_VENDORS,
    # As the console's proposals page: reading for any staff, deciding posts the update.
    "staff_api:proposals": READ_ONLY,
    "staff_api:proposal": READ_ONLY,
    "staff_api:proposal-publish": roles.POST_UPDATES,
    "staff_api:proposal-dismiss": roles.POST_UPDATES,
    "staff_api:maintenances": roles.POST_UPDATES,
    "staff_api:maintenance": roles.POST_UPDATES,
    "staff_api:maintenance-updates": roles.POST_UPDATES,
    # The send forecast: the body of a post, nothing written.
    "staff_api:incident-forecast": ANY_STAFF,
    "staff_api:incident-update-forecast": ANY_STAFF,
    "staff_api:incident-resolve-forecast": ANY_STAFF,
    "staff_api:maintenance-forecast": ANY_STAFF,
    "staff_api:maintenance-update-forecast": ANY_STAFF,
    "staff_api:incident-postmortem-publish-forecast": ANY_STAFF,
    "staff_api:sms-cost-cap": roles.MANAGE_POLICY,  # an Admin's spending rule
    "staff_api:audit": READ_ONLY,
    "staff_api:templates": READ_ONLY,
    "staff_api:template-translations": roles.WRITE_TEMPLATES,
    "staff_api:translation-approve": roles.APPROVE_WORDING,
    "staff_api:custom-texts": roles.POST_UPDATES,
    "staff_api:custom-text-approve": roles.APPROVE_WORDING,
    "staff_api:custom-text-reject": roles.APPROVE_WORDING,
    # Subscribers, monitors and publishing: as the console's pages for them.
    "staff_api:subscribers": READ_ONLY,
    "staff_api:subscriber": roles.POST_UPDATES,  # unsubscribing someone
    "staff_api:subscribers-import": roles.POST_UPDATES,
    "staff_api:subscribers-export": READ_ONLY,
    "staff_api:sources": roles.MANAGE_COMPONENTS,
    # Deleting a source also takes remove_sources (an Admin's): ingest/sources.py checks it.
    "staff_api:source": roles.MANAGE_COMPONENTS,
    "staff_api:source-rotate": roles.MANAGE_COMPONENTS,
    "staff_api:source-rules": roles.MANAGE_COMPONENTS,
    "staff_api:source-rule": roles.MANAGE_COMPONENTS,
    "staff_api:publish": roles.POST_UPDATES,  # "publish now"
    "staff_api:publish-verify": READ_ONLY,  # reads the targets back, writes nothing
    # Audiences, as the console's: an Admin's.
    "staff_api:audiences": roles.MANAGE_ROLES,
    "staff_api:audience": roles.MANAGE_ROLES,
    "staff_api:audience-members": READ_ONLY,
    "staff_api:audience-member-revoke": roles.MANAGE_ROLES,
    "staff_api:audience-invitations": roles.MANAGE_ROLES,
    "staff_api:audience-invitation-revoke": roles.MANAGE_ROLES,
    # -- Statuspage-shaped management API (/api/v1/), the same rights as above ------------
    "v1_api:pages": READ_ONLY,
    "v1_api:page": READ_ONLY,
    "v1_api:components": roles.MANAGE_COMPONENTS,
    # A component's status is what automation sets: posting updates; editing its details
    # checks manage_components too (api/v1_views.py).
    "v1_api:component": roles.POST_UPDATES,
    "v1_api:incidents": roles.POST_UPDATES,
    "v1_api:incidents-unresolved": READ_ONLY,
    "v1_api:incident": roles.POST_UPDATES,
    "v1_api:subscribers": roles.POST_UPDATES,  # as the console's subscriber import
    "v1_api:subscriber": roles.POST_UPDATES,
}


class Unlisted(LookupError):
    """A URL the table does not name: refused, and the table's test fails."""


def needed(view_name: str, method: str) -> str | None:
    """The permission `method` on `view_name` takes beyond a staff account: None for none,
    READ_ONLY for a write where there is nothing to write. Raises Unlisted."""
    try:
        write = WRITES[view_name]
    except KeyError:
        raise Unlisted(view_name) from None
    if method.upper() in SAFE_METHODS or write in (PUBLIC, ANY_STAFF):
        return None
    return write


def allowed(user: object, view_name: str, method: str) -> bool:
    """Whether a signed-in staff `user` may send `method` to `view_name` (a READ_ONLY
    write is let through, for the view to answer 405)."""
    try:
        permission = needed(view_name, method)
    except Unlisted:
        return False
    if permission is None or permission == READ_ONLY:
        return True
    return bool(user.has_perm(permission))  # type: ignore[attr-defined]


def view_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.view_name if match is not None else ""
