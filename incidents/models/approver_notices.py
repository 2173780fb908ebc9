"""The approvers' outbox: one row per approver, words and channel, written with the words.

Custom words in an emergency wait for an approver; telling them must survive a mail server
or Twilio being down for a while, so the intent is recorded in the same transaction as the
words and sent (and retried) by the worker, as subscribers' deliveries are.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models.wording import CustomTextRequest, TemplateTranslation, TemplateVersion


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class NoticeState(models.TextChoices):
    PENDING = "pending", "Pending"  # to send, at next_attempt_at
    SENDING = "sending", "Sending"  # claimed by a worker
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", "Cancelled"  # the words were decided before it left
    FAILED = "failed", "Failed"  # parked after MAX_ATTEMPTS, with its error


class ApproverNotice(models.Model):
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    custom_text = models.ForeignKey(
        CustomTextRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    template_version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    translation = models.ForeignKey(
        TemplateTranslation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    channel = models.CharField(max_length=8, choices=NoticeChannel.choices)
    # The address or number as it was when the words were submitted.
    to = models.CharField(max_length=254)
    state = models.CharField(
        max_length=16, choices=NoticeState.choices, default=NoticeState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(custom_text__isnull=False, template_version=None, translation=None)
                | Q(custom_text=None, template_version__isnull=False, translation=None)
                | Q(custom_text=None, template_version=None, translation__isnull=False),
                name="approver_notice_about_one_thing",
            ),
            # A retried submit or a second call cannot tell an approver twice.
            models.UniqueConstraint(
                fields=["approver", "custom_text", "channel"],
                condition=Q(custom_text__isnull=False),
                name="approver_notice_custom_unique",
            ),
            models.UniqueConstraint(
                fields=["approver", "template_version", "channel"],
                condition=Q(template_version__isnull=False),
                name="approver_notice_version_unique",
            ),
            models.UniqueConstraint(
                fields=["approver", "translation", "channel"],
                condition=Q(translation__isnull=False),
                name="approver_notice_translation_unique",
            ),
        ]
        indexes = [
            # Serves the sweep: notices due to be sent (first try or retry).
            models.Index(
                fields=["next_attempt_at"],
                name="approver_notice_due",
                condition=Q(state=NoticeState.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.approver_id} ({self.state})"
