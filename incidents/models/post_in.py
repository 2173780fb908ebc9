"""Posting without the console: who may post an approved-template update by text or email,
and every message that tried (incidents/post_in/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class InboundPoster(models.Model):
    """A staff account registered to post by SMS (from `phone`, with a PIN) and by email
    (from `email`, DKIM-signed, with a per-person secret). Only hashes are stored: the
    PIN and the secret are shown once when issued (manage.py post_in_register)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbound_poster"
    )
    phone = models.CharField(max_length=16, blank=True)  # E.164
    email = models.EmailField(blank=True)
    pin_hash = models.CharField(max_length=128, blank=True)
    secret_hash = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField()
    last_posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="poster_phone"),
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="poster_email"),
        ]

    def __str__(self) -> str:
        return self.user.get_username()


class InboundChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class InboundOutcome(models.TextChoices):
    POSTED = "posted", _("Posted")
    REFUSED = "refused", _("Refused")


class InboundPost(models.Model):
    """One message that asked to post: its provider id makes a redelivery (Twilio's retry,
    an MTA's second attempt) answer as the first did instead of posting twice."""

    channel = models.CharField(max_length=8, choices=InboundChannel.choices)
    message_id = models.CharField(max_length=200)
    sender = models.CharField(max_length=254)
    poster = models.ForeignKey(InboundPoster, on_delete=models.SET_NULL, null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=InboundOutcome.choices)
    reason = models.CharField(max_length=300)
    update_public_id = models.CharField(max_length=12, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "message_id"], name="inbound_post_once"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.sender}: {self.outcome}"
