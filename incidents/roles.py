"""Staff roles: Django groups holding the console's permissions (models.StaffRole).

The initial migration (0001_squashed_0055_audiences) creates these groups with these
permissions; Admins assign them in the console. A superuser holds every permission, as
Django has it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incidents.models import Qualifier

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from incidents.audit import Actor

RESPONDER = "Responder"
COMMUNICATOR = "Communicator"
APPROVER_LEGAL = "Approver (legal)"
APPROVER_SUPPORT = "Approver (support)"
ADMIN = "Admin"

ROLES: dict[str, tuple[str, ...]] = {
    RESPONDER: ("post_updates", "manage_components"),
    COMMUNICATOR: ("post_updates", "write_templates"),
    APPROVER_LEGAL: ("approve_wording",),
    APPROVER_SUPPORT: ("approve_wording",),
    ADMIN: (
        "post_updates",
        "manage_components",
        "write_templates",
        "override_wording",
        "manage_policy",
        "manage_roles",
        "remove_sources",
        "manage_branding",
        "manage_vendors",
    ),
}
# Not a role: the mark an Admin gives the few accounts that may still sign in with a
# password and two-factor code while single sign-on is required (incidents/sso.py).
BREAK_GLASS = "Break-glass"
APPROVER_QUALIFIER = {APPROVER_LEGAL: Qualifier.LEGAL, APPROVER_SUPPORT: Qualifier.SUPPORT}

POST_UPDATES = "incidents.post_updates"
MANAGE_COMPONENTS = "incidents.manage_components"
WRITE_TEMPLATES = "incidents.write_templates"
APPROVE_WORDING = "incidents.approve_wording"
OVERRIDE_WORDING = "incidents.override_wording"
MANAGE_POLICY = "incidents.manage_policy"
MANAGE_ROLES = "incidents.manage_roles"
REMOVE_SOURCES = "incidents.remove_sources"
MANAGE_BRANDING = "incidents.manage_branding"
MANAGE_VENDORS = "incidents.manage_vendors"


def require_permission(actor: Actor, permission: str) -> None:
    """Services that only staff perform check the permission themselves, whatever the
    channel; system actors (beat, demo data, migrations) act on the operator's behalf."""
    if actor.user is not None and not actor.user.has_perm(permission):
        raise PermissionError(f"{actor.label} lacks {permission}")


def qualifiers(user: AbstractBaseUser | AnonymousUser | None) -> list[str]:
    """The approver qualifiers a user holds, through their groups."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    return [q for group, q in APPROVER_QUALIFIER.items() if group in names]
