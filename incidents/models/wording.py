"""Approved wording: message templates and their versions, custom-text requests, the
approvals both need, the wording policy's rules, and emergency overrides to review.

Versions, requests, approvals, rejections and rule versions are write-once: the Python
guards stop accidents, and on PostgreSQL triggers (the initial migration's) refuse UPDATE
and DELETE outright, so what an approver approved can never be changed underneath them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import Incident
from incidents.models.maintenance import Maintenance


class Phase(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    MAINTENANCE_SCHEDULED = "maintenance_scheduled", _("Maintenance scheduled")
    MAINTENANCE_STARTED = "maintenance_started", _("Maintenance started")
    MAINTENANCE_COMPLETED = "maintenance_completed", _("Maintenance completed")
    # A resolved incident's postmortem (incidents/lifecycle/postmortems.py).
    POSTMORTEM = "postmortem", _("Postmortem")


class Channel(models.TextChoices):
    WEB = "web", _("Web and email")
    SMS = "sms", _("SMS")


class Qualifier(models.TextChoices):
    LEGAL = "legal", _("Legal")
    SUPPORT = "support", _("Support")


def _one_subject(name: str) -> models.CheckConstraint:
    """A decision is about a template version or a custom text, never both or neither."""
    return models.CheckConstraint(
        condition=Q(template_version__isnull=False, custom_text__isnull=True)
        | Q(template_version__isnull=True, custom_text__isnull=False),
        name=name,
    )


class WriteOnceQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError(f"{self.model.__name__} rows are write-once")

    def delete(self) -> NoReturn:
        raise PermissionError(f"{self.model.__name__} rows are write-once")


class WriteOnce(models.Model):
    objects = WriteOnceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError(f"{type(self).__name__} rows are write-once")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError(f"{type(self).__name__} rows are write-once")


class StaffRole(models.Model):
    """No table: the holder of the console's own permissions, granted to groups (roles)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("post_updates", "Open incidents, post updates, run maintenance"),
            ("manage_components", "Create and edit components and groups"),
            ("write_templates", "Write message templates"),
            ("approve_wording", "Approve templates and custom text"),
            ("override_wording", "Publish unapproved text in an emergency"),
            ("manage_policy", "Edit the wording policy"),
            ("manage_roles", "Assign roles to staff"),
            ("remove_sources", "Delete monitor sources"),
            ("manage_branding", "Set the public page's name, logo, colours and support link"),
            ("manage_vendors", "Add vendors whose status pages Candor polls"),
        ]

    def __str__(self) -> str:
        return "staff role"


class MessageTemplate(models.Model):
    """A named template for one phase and channel; its words live in its versions."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    name = models.CharField(max_length=200)
    phase = models.CharField(max_length=32, choices=Phase.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["phase", "channel", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "phase", "channel"], name="template_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(WriteOnce):
    """Submitted words: immutable from the moment they exist. Editing writes version n+1."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class CustomTextRequest(WriteOnce):
    """Words written for one occasion, waiting for (or holding) an approver's yes.

    Bound to the incident or maintenance it was written for (neither: a new incident), and
    to the phase it speaks for; approved, exactly this text may be published there.
    """

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    phase = models.CharField(max_length=32, choices=Phase.choices)
    body = models.TextField()
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    maintenance = models.ForeignKey(
        Maintenance, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"custom text {self.public_id} ({self.phase})"


class Approval(WriteOnce):
    """One approver's yes to a template version or a custom text; never their own."""

    template_version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="approvals"
    )
    custom_text = models.ForeignKey(
        CustomTextRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    qualifier = models.CharField(max_length=16, choices=Qualifier.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            _one_subject("approval_one_subject"),
            models.UniqueConstraint(
                fields=["template_version", "approver"], name="approval_once_per_version"
            ),
            models.UniqueConstraint(
                fields=["custom_text", "approver"], name="approval_once_per_custom_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.approver_id} ({self.qualifier})"


class Rejection(WriteOnce):
    """An approver's no to a template version or a custom text, with the reason its author
    is sent. A decision, not a state: the words stay as they were, and approvals.py never
    lets rejected words be approved; the author writes new words instead."""

    template_version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="rejections"
    )
    custom_text = models.ForeignKey(
        CustomTextRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rejections",
    )
    rejecter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    qualifier = models.CharField(max_length=16, choices=Qualifier.choices)
    reason = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            _one_subject("rejection_one_subject"),
            # Rejected once and for all: a second "no" is refused, not recorded.
            models.UniqueConstraint(fields=["template_version"], name="rejection_once_per_version"),
            models.UniqueConstraint(fields=["custom_text"], name="rejection_once_per_custom_text"),
        ]

    def __str__(self) -> str:
        return f"rejected by {self.rejecter_id} ({self.qualifier})"


class TemplateTranslation(WriteOnce):
    """The words of a template version in another language, approved like the original.

    Write-once as versions are: a change is the next number for the same version and
    language, and needs its approvals again. Only a translation of a version still in use
    is ever published (wording/translations.py).
    """

    version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="translations"
    )
    language = models.CharField(max_length=16)  # BCP 47, one of CANDOR_WORDS_LANGUAGES
    number = models.PositiveIntegerField()
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "language", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language", "number"], name="template_translation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} [{self.language}] t{self.number}"


class TranslationApproval(WriteOnce):
    """One approver's yes to a translation; never their own, once per approver."""

    translation = models.ForeignKey(
        TemplateTranslation, on_delete=models.PROTECT, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    qualifier = models.CharField(max_length=16, choices=Qualifier.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["translation", "approver"], name="translation_approval_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver_id} ({self.qualifier})"


class RuleKind(models.TextChoices):
    BANNED_PHRASE = "banned_phrase", _("Banned phrase")
    BANNED_PATTERN = "banned_pattern", _("Banned pattern")
    REQUIRED_ELEMENT = "required_element", _("Required element")
    MAX_CHARS = "max_chars", _("Length limit (characters)")
    MAX_SMS_SEGMENTS = "max_sms_segments", _("Length limit (SMS segments)")
    # pattern: vendor names, one a line; the blame wording around them is in wording/detect.py.
    VENDOR_BLAME = "vendor_blame", _("Blames a named vendor")
    # pattern: hosts links may point to besides the canonical status page, one a line.
    ALLOWED_LINKS = "allowed_links", _("Links only to allowed hosts")


class RuleChannel(models.TextChoices):
    ALL = "all", _("Every channel")
    WEB = "web", _("Web")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    EMAIL_AND_SMS = "email_sms", _("Email and SMS")
    # Postmortems are checked as their own channel: rules for every channel apply to them,
    # the short limits written for updates ("web") do not.
    POSTMORTEM = "postmortem", _("Postmortems")


class RuleScope(models.TextChoices):
    ALL = "all", _("Every phase")
    OPEN_INCIDENT = "open_incident", _("Incident updates before resolution")
    BEFORE_IDENTIFIED = "before_identified", _("Before the cause is identified")


class RequiredElement(models.TextChoices):
    STATUS_URL = "status_url", _("The canonical status page URL")
    NEXT_UPDATE = "next_update", _("When the next update will come")


class WordingRule(WriteOnce):
    """One version of one policy rule. The policy is, per key, the newest version, unless
    that version retires the rule (active=False). Editing writes a new version."""

    key = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=24, choices=RuleKind.choices)
    # A phrase for banned_phrase, a regular expression (over the folded text) for
    # banned_pattern; empty otherwise.
    pattern = models.TextField(blank=True)
    element = models.CharField(max_length=16, choices=RequiredElement.choices, blank=True)
    limit = models.PositiveIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=16, choices=RuleChannel.choices, default=RuleChannel.ALL)
    scope = models.CharField(max_length=24, choices=RuleScope.choices, default=RuleScope.ALL)
    reason = models.CharField(max_length=300)
    # A BCP 47 code: the rule reads only words in that language; empty: every language.
    language = models.CharField(max_length=16, blank=True, default="")
    active = models.BooleanField(default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="wording_rule_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class OverrideReview(models.Model):
    """An emergency override, queued for the after-the-fact review it must get."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    phase = models.CharField(max_length=32, choices=Phase.choices)
    body = models.TextField()
    reason = models.TextField()
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=32)
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # Serves the console's queue of overrides still to review.
            models.Index(fields=["at"], name="override_unreviewed", condition=Q(reviewed_at=None))
        ]

    def __str__(self) -> str:
        return f"override {self.public_id}"
