"""Following one incident: a reader's email gets that incident's updates only, and the
subscription ends by itself once the resolution has gone out.

A follower is a Subscriber with `incident` set, confirmed by the same double opt-in as
every subscription (subscriptions.py) and rate-limited alike. The outbox selects them for
their incident's updates (outbox._wanting), skipping an address already subscribed page
wide, which gets the update once already.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from incidents.models import (
    FOLLOW_RELEASED,
    Delivery,
    DeliveryState,
    Incident,
    Subscriber,
    SubscriberState,
)
from incidents.notify.subscriptions import SubscribeOutcome, subscriber_subscribe

log = logging.getLogger(__name__)

CHANNEL = "email"
RELEASED = FOLLOW_RELEASED


def incident_follow(
    *,
    incident: Incident,
    email: str,
    ip: str,
    now: datetime | None = None,
    language: str = "en",
) -> SubscribeOutcome:
    """Ask `email` to confirm following `incident` (open incidents only)."""
    return subscriber_subscribe(
        channel=CHANNEL,
        destination=email,
        component_ids=None,
        ip=ip,
        incident=incident,
        now=now,
        language=language,
    )


def followers_release(*, now: datetime | None = None) -> int:
    """Unsubscribe the followers of resolved incidents whose messages are all out.

    A follower whose resolution message is still pending or being retried stays until
    it is delivered or given up on, so the resolution reaches them first; one who never
    confirmed is let go at once. Run by the notify sweep (tasks.notify_sweep).
    """
    now = now or timezone.now()
    in_flight = Delivery.objects.filter(
        subscriber=OuterRef("pk"),
        state__in=[DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.FAILED],
    )
    released = (
        Subscriber.objects.filter(
            incident__isnull=False,
            incident__resolved_at__isnull=False,
            incident__resolved_at__lte=now,
            state__in=[SubscriberState.PENDING, SubscriberState.CONFIRMED],
        )
        .exclude(Exists(in_flight))
        .update(
            state=SubscriberState.UNSUBSCRIBED,
            stopped_reason=RELEASED,
            confirmation_hash="",
        )
    )
    if released:
        log.info("released %d followers of resolved incidents", released)
    return released
