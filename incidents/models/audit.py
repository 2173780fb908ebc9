from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_UPDATED = "incident.updated", "Incident update posted"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    INCIDENT_OOB_RECONCILED = "incident.oob_reconciled", "Out-of-band update reconciled"
    OOB_KEY_ISSUED = "signing.oob_key_issued", "Out-of-band key issued"
    OOB_KEY_REVOKED = "signing.oob_key_revoked", "Out-of-band key revoked"
    COMPONENT_CREATED = "component.created", "Component created"
    COMPONENT_EDITED = "component.edited", "Component edited"
    COMPONENT_STATUS_SET = "component.status_set", "Component status set"
    GROUP_CREATED = "group.created", "Component group created"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", "Maintenance scheduled"
    MAINTENANCE_UPDATED = "maintenance.updated", "Maintenance update posted"
    MAINTENANCE_STARTED = "maintenance.started", "Maintenance started"
    MAINTENANCE_COMPLETED = "maintenance.completed", "Maintenance completed"
    MAINTENANCE_CANCELLED = "maintenance.cancelled", "Maintenance cancelled"
    MAINTENANCE_REMINDED = "maintenance.reminded", "Subscribers reminded of maintenance"
    MAINTENANCE_OVERRAN = "maintenance.overran", "Maintenance ran past its scheduled end"
    CADENCE_POLICY_SET = "cadence.policy_set", "Update cadence changed"
    CADENCE_OVERRIDE_SET = "cadence.override_set", "Incident cadence overridden"
    INCIDENT_OWNERS_SET = "incident.owners_set", "Incident owners set"
    CONTACT_SAVED = "contact.saved", "Reminder contact saved"
    REMINDER_ACKNOWLEDGED = "reminder.acknowledged", "Reminder acknowledged"
    TEMPLATE_VERSION_SUBMITTED = "template.submitted", "Template version submitted"
    TEMPLATE_VERSION_APPROVED = "template.approved", "Template version approved"
    CUSTOM_TEXT_REQUESTED = "custom_text.requested", "Custom text submitted for approval"
    CUSTOM_TEXT_APPROVED = "custom_text.approved", "Custom text approved"
    POLICY_RULE_SAVED = "policy.rule_saved", "Wording rule saved"
    WORDING_OVERRIDDEN = "wording.overridden", "Wording policy overridden"
    OVERRIDE_REVIEWED = "wording.override_reviewed", "Override reviewed"
    ROLES_SET = "staff.roles_set", "Staff roles set"
    SOURCE_SAVED = "source.saved", "Monitor source saved"
    SOURCE_TOKEN_ROTATED = "source.token_rotated", "Monitor source token rotated"
    ROUTING_RULE_ADDED = "source.rule_added", "Routing rule added"
    ROUTING_RULE_REMOVED = "source.rule_removed", "Routing rule removed"
    PROPOSAL_MADE = "proposal.made", "Incident proposed by signals"
    PROPOSAL_DISMISSED = "proposal.dismissed", "Proposal dismissed"
    SUBSCRIBERS_IMPORTED = "subscribers.imported", "Subscribers imported"
    SUBSCRIBER_REMOVED = "subscriber.removed", "Subscriber unsubscribed by staff"
    NOTIFICATIONS_RETRIED = "notifications.retried", "Failed notifications retried"
    TEMPLATE_VERSION_REJECTED = "template.rejected", "Template version rejected"
    CUSTOM_TEXT_REJECTED = "custom_text.rejected", "Custom text rejected"
    TRANSLATION_SUBMITTED = "translation.submitted", "Template translation submitted"
    TRANSLATION_APPROVED = "translation.approved", "Template translation approved"
    RECOVERY_CODES_REGENERATED = "staff.recovery_codes_regenerated", "Recovery codes replaced"
    SOURCE_DELETED = "source.deleted", "Monitor source deleted"
    BRANDING_SET = "branding.set", "Page branding changed"
    DEPENDENCY_ADDED = "dependency.added", "Dependency added"
    DEPENDENCY_EDITED = "dependency.edited", "Dependency edited"
    DEPENDENCY_REMOVED = "dependency.removed", "Dependency removed"
    PROPOSAL_WITHDRAWN = "proposal.withdrawn", "Proposal withdrawn"
    SMS_COST_CAP_SET = "notify.sms_cap_set", "SMS cost cap set"
    SMS_COST_CONFIRMED = "notify.sms_cost_confirmed", "SMS cost above the cap confirmed"
    VENDOR_ADDED = "vendor.added", "Vendor added"
    VENDOR_EDITED = "vendor.edited", "Vendor settings changed"
    VENDOR_COMPONENTS_PICKED = "vendor.components_picked", "Vendor components picked"
    VENDOR_REMOVED = "vendor.removed", "Vendor removed"
    POSTER_REGISTERED = "post_in.registered", "Registered to post by SMS and email"
    POSTER_REMOVED = "post_in.removed", "No longer registered to post by SMS and email"
    IMPORT_STARTED = "import.started", "Statuspage import started"
    IMPORT_FINISHED = "import.finished", "Statuspage import ended"
    INCIDENT_IMPORTED = "incident.imported", "Incident imported as history"
    MAINTENANCE_IMPORTED = "maintenance.imported", "Maintenance imported as history"
    REPORT_SETTINGS_SET = "report.settings_set", "Reliability report settings changed"
    POSTMORTEM_SAVED = "postmortem.saved", "Postmortem draft saved"
    POSTMORTEM_APPROVED = "postmortem.approved", "Postmortem approved"
    POSTMORTEM_REJECTED = "postmortem.rejected", "Postmortem rejected"
    POSTMORTEM_PUBLISHED = "postmortem.published", "Postmortem published"
    SSO_SIGNED_IN = "sso.signed_in", "Signed in through single sign-on"
    SSO_REFUSED = "sso.refused", "Single sign-on refused"
    SSO_PROVIDER_FAILED = "sso.provider_failed", "Identity provider failed"
    BREAK_GLASS_SET = "staff.break_glass_set", "Break-glass sign-in changed"
    AUDIENCE_CREATED = "audience.created", "Audience created"
    AUDIENCE_EDITED = "audience.edited", "Audience edited"
    AUDIENCE_MEMBER_REVOKED = "audience.member_revoked", "Audience member revoked"
    READER_INVITED = "reader.invited", "Reader invited"
    READER_INVITATION_REVOKED = "reader.invitation_revoked", "Reader invitation revoked"
    READER_SIGNED_IN = "reader.signed_in", "Reader signed in"
    READER_REFUSED = "reader.refused", "Reader sign-in refused"
    READER_SIGNED_OUT = "reader.signed_out", "Reader signed out"
    AUDIENCE_TOKEN_CREATED = "audience.token_created", "Audience token created"
    AUDIENCE_TOKEN_REVOKED = "audience.token_revoked", "Audience token revoked"
    VISIBILITY_SET = "audience.visibility_set", "Audiences of a page item changed"


def action_check(action: str) -> None:
    """Refuse an action AuditAction does not name. The list is checked here, in code, not
    by the column: a new action is a new enum member and needs no migration."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}: add it to AuditAction")


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def bulk_create(
        self, objs: Iterable[AuditEvent], *args: Any, **kwargs: Any
    ) -> list[AuditEvent]:
        objs = list(objs)
        for event in objs:
            action_check(event.action)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise PermissionError("the audit log is append-only")


class AuditEvent(models.Model):
    """Append-only: who did what, when, through which channel.

    The Python guards stop accidents; on PostgreSQL a trigger (the initial migration's) refuses
    UPDATE and DELETE for everyone, including raw SQL.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who acted, readable even without a user: "alice", "system:beat", "api:alice".
    actor_label = models.CharField(max_length=150)
    channel = models.CharField(max_length=16)  # console, api, system, cli
    # One of AuditAction's values, checked on save (action_check), not a column constraint.
    action = models.CharField(max_length=48)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=32)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at.isoformat()} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        action_check(self.action)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("the audit log is append-only")

    @property
    def action_label(self) -> str:
        """The action in words; an action no longer in AuditAction shows as stored."""
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action
