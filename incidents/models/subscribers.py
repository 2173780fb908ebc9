"""Subscribers and the outbox of deliveries sent to them (docs/design.md, "Notifications")."""

from __future__ import annotations

import hmac
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models.audiences import Audience
from incidents.models.components import Component
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import Incident, IncidentUpdate
from incidents.models.maintenance import MaintenanceUpdate
from incidents.models.postmortems import Postmortem

# What one delivery tells a subscriber of.
Announcement = IncidentUpdate | MaintenanceUpdate | Postmortem

# Why a follower's subscription ended by itself (notify/follow.py): its incident was
# resolved. Such a follower still hears of that incident's postmortem (notify/outbox.py).
FOLLOW_RELEASED = "The incident was resolved."


class SubscriberChannel(models.TextChoices):
    """The built-in channels' names, for code that means one of them (a Twilio callback,
    tests). Which channels exist is the registry's (notify/channels, CANDOR_CHANNELS): the
    `channel` fields take any registered name, with no migration per channel."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")


class SubscriberState(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    # The carrier or the subscriber said STOP (SMS), or the provider refused the address
    # for good (a hard bounce, an invalid number): nothing is sent until they start again.
    STOPPED = "stopped", _("Stopped")


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscriber(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    channel = models.CharField(max_length=32)  # a registered channel's name
    # Normalised (notify/addresses.py): email with a lower-case domain, phone in E.164, an
    # http(s) URL. One subscription per destination and channel.
    destination = models.CharField(max_length=500)
    state = models.CharField(
        max_length=16, choices=SubscriberState.choices, default=SubscriberState.PENDING
    )
    all_components = models.BooleanField(default=True)
    components: models.ManyToManyField[Component, SubscriberComponent] = models.ManyToManyField(
        Component, through="SubscriberComponent", related_name="subscribers", blank=True
    )
    # SHA-256 of the confirmation secret (the link's token, the SMS code, the webhook
    # challenge); emptied once used, so a replayed link finds nothing.
    confirmation_hash = models.CharField(max_length=64, blank=True)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmation_attempts = models.PositiveSmallIntegerField(default=0)
    webhook_secret = models.CharField(max_length=64, blank=True, default=new_webhook_secret)
    stopped_reason = models.CharField(max_length=300, blank=True)
    # What the channel's address_normalise said the destination counts against (an SMS
    # number's country, an email's domain), kept so the send forecast prices 100,000
    # numbers without parsing each again; empty for rows stored before it was kept.
    prefix = models.CharField(max_length=300, blank=True)
    # Set: a follower of this one incident (email), told of its updates only, and
    # unsubscribed once its resolution has gone out (notify/follow.py).
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    # Set: a member of this audience, told of its audience-only content as well as the
    # public content. Empty: a public subscriber, who never receives audience-only words.
    audience = models.ForeignKey(
        Audience, null=True, blank=True, on_delete=models.PROTECT, related_name="subscribers"
    )
    # Shown in every message to them (set on their manage page): a look-alike message that
    # does not know it stands out. Never logged.
    personal_phrase = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The language its messages' interface words are in (one of settings.LANGUAGES):
    # the page's the subscriber signed up on, else their browser's (public/language.py).
    language = models.CharField(max_length=8, default="en")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "destination"],
                condition=Q(incident__isnull=True),
                name="subscriber_channel_destination_unique",
            ),
            models.UniqueConstraint(
                fields=["channel", "destination", "incident"],
                condition=Q(incident__isnull=False),
                name="subscriber_follower_unique",
            ),
        ]
        indexes = [
            # Serves the outbox's INSERT ... SELECT: confirmed subscribers of a channel.
            models.Index(
                fields=["channel"],
                name="subscriber_confirmed",
                condition=Q(state=SubscriberState.CONFIRMED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.destination}"


class SubscriberComponent(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "component"], name="subscriber_component_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id}/{self.component_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # The last attempt failed for a reason that may pass; retried at next_attempt_at.
    FAILED = "failed", _("Failed, will retry")
    # Given up: a permanent refusal, or every attempt failed. Staff may retry it.
    DEAD = "dead", _("Failed")


class Delivery(models.Model):
    """One message to one subscriber about one update (or a published postmortem): the
    outbox row.

    Written in the same transaction as the update; the unique constraints make a second
    row for the same subscriber, update and channel impossible.
    """

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=32)  # the subscriber's, copied for the claim's index
    incident_update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    maintenance_update = models.ForeignKey(
        MaintenanceUpdate,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    postmortem = models.ForeignKey(
        Postmortem, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    # What the provider said later (Twilio's status callback: delivered, undelivered...).
    provider_status = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    incident_update__isnull=False,
                    maintenance_update__isnull=True,
                    postmortem__isnull=True,
                )
                | Q(
                    incident_update__isnull=True,
                    maintenance_update__isnull=False,
                    postmortem__isnull=True,
                )
                | Q(
                    incident_update__isnull=True,
                    maintenance_update__isnull=True,
                    postmortem__isnull=False,
                ),
                name="delivery_one_update",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "incident_update", "channel"],
                condition=Q(incident_update__isnull=False),
                name="delivery_unique_incident_update",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "maintenance_update", "channel"],
                condition=Q(maintenance_update__isnull=False),
                name="delivery_unique_maintenance_update",
            ),
            # One message per subscriber and postmortem, however often it is published.
            models.UniqueConstraint(
                fields=["subscriber", "postmortem", "channel"],
                condition=Q(postmortem__isnull=False),
                name="delivery_unique_postmortem",
            ),
        ]
        indexes = [
            # Serves the workers' claim: due deliveries of a channel, oldest first.
            models.Index(
                fields=["channel", "next_attempt_at"],
                name="delivery_due",
                condition=Q(state__in=[DeliveryState.PENDING, DeliveryState.FAILED]),
            ),
            # Serves the sweeper: deliveries claimed by a worker that may have died.
            models.Index(
                fields=["claimed_at"],
                name="delivery_in_flight",
                condition=Q(state=DeliveryState.SENDING),
            ),
            # Serves Twilio's status callback, which names the message by its SID.
            models.Index(
                fields=["provider_id"], name="delivery_provider_id", condition=~Q(provider_id="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.channel} {self.state}"

    @property
    def key(self) -> str:
        """A stable, opaque id for this message outside Candor: the email's Message-ID,
        the webhook's Idempotency-Key. The same on every attempt, so a receiver can tell a
        re-sent message from a new one; not the row id, which would reveal list sizes."""
        digest = hmac.new(settings.SECRET_KEY.encode(), f"delivery:{self.pk}".encode(), "sha256")
        return digest.hexdigest()[:24]

    @property
    def update(self) -> Announcement:
        """What the message is about: an update, or a published postmortem."""
        return self.incident_update or self.maintenance_update or self.postmortem  # type: ignore[return-value]
