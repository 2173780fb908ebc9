"""The fan-out: claim due deliveries in batches, send each, mark each.

Claim, then act: a batch is claimed (`sending`, `claimed_at`) in one short transaction
with SKIP LOCKED, so workers never share a delivery; no network I/O happens inside a
transaction; each message is marked `sent` in its own commit right after the provider
accepted it. A worker killed mid-batch leaves its unmarked deliveries `sending`, and the
sweeper re-queues them after the lease (outbox.deliveries_sweep).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from incidents import wording
from incidents.models import (
    Delivery,
    DeliveryState,
    IncidentUpdate,
    MaintenanceUpdate,
    Subscriber,
    SubscriberChannel,
    SubscriberState,
    WordingRule,
)
from incidents.notify import limits
from incidents.notify.render import Rendered, message_render
from incidents.notify.transports import Sender, TransportError
from incidents.notify.transports.email import EmailSender
from incidents.notify.transports.sms import SmsSender
from incidents.notify.transports.webhook import WebhookSender, provider_for

log = logging.getLogger(__name__)

DUE = [DeliveryState.PENDING, DeliveryState.FAILED]


@dataclass
class FanoutResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    stopped_by: str = ""  # why the run ended early: circuit, redis, deadline
    more: bool = False  # due deliveries remain
    providers: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, object]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "dead": self.dead,
            "skipped": self.skipped,
            "stopped_by": self.stopped_by,
            "more": self.more,
        }


def backoff(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: doubling from the base, with jitter, capped.

    The jitter (between half and all of the delay) spreads the retries of thousands of
    deliveries that failed together, so they do not hit the provider together again.
    """
    delay = min(
        settings.CANDOR_NOTIFY_BACKOFF_MAX, settings.CANDOR_NOTIFY_BACKOFF * 2 ** (attempts - 1)
    )
    return delay * random.uniform(0.5, 1.0)


def deliveries_claim(*, channel: str, limit: int) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(channel=channel, state__in=DUE, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(state=DeliveryState.SENDING, claimed_at=now)
    return list(
        Delivery.objects.filter(pk__in=ids)
        .select_related(
            "subscriber", "incident_update__incident", "maintenance_update__maintenance"
        )
        .order_by("pk")
    )


def _release(deliveries: list[Delivery]) -> None:
    """Hand back claimed deliveries that were not attempted (the circuit opened)."""
    if deliveries:
        Delivery.objects.filter(
            pk__in=[d.pk for d in deliveries], state=DeliveryState.SENDING
        ).update(state=DeliveryState.PENDING, claimed_at=None)


# The hottest statement of the fan-out, once per message: written out rather than built by
# the ORM each time, which cost more than the round trip to the database.
_MARK_SENT = (
    f"UPDATE {Delivery._meta.db_table} SET state = %s, sent_at = %s,"  # noqa: S608
    " attempts = attempts + 1, provider_id = %s, last_error = '' WHERE id = %s AND state = %s"
)


def _mark_sent(delivery: Delivery, provider_id: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _MARK_SENT,
            [
                DeliveryState.SENT,
                timezone.now(),
                provider_id[:64],
                delivery.pk,
                DeliveryState.SENDING,
            ],
        )


def _mark_failed(delivery: Delivery, error: TransportError, result: FanoutResult) -> None:
    attempts = delivery.attempts + 1
    now = timezone.now()
    if error.permanent or attempts >= settings.CANDOR_NOTIFY_MAX_ATTEMPTS:
        state, result.dead = DeliveryState.DEAD, result.dead + 1
        next_at = now
    else:
        state, result.failed = DeliveryState.FAILED, result.failed + 1
        next_at = now + timedelta(seconds=backoff(attempts))
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
        state=state, attempts=attempts, next_attempt_at=next_at, last_error=str(error)[:500]
    )
    if error.permanent:
        Subscriber.objects.filter(pk=delivery.subscriber_id).update(
            state=SubscriberState.STOPPED, stopped_reason=str(error)[:300]
        )


# The wording policy's channel each message is checked as; a webhook carries the update as
# the web page shows it.
_POLICY_CHANNEL: dict[str, str] = {
    SubscriberChannel.EMAIL: "email",
    SubscriberChannel.SMS: "sms",
    SubscriberChannel.WEBHOOK: "web",
}


class _WordingVerdicts:
    """The wording policy's verdict on each update's message per channel, once per run.

    Every message of an update on a channel has the same words (only the subscriber's own
    links differ), so one check covers a whole fan-out; the rules are read once.
    """

    def __init__(self, rules: list[WordingRule]) -> None:
        self.rules = rules
        self.found: dict[tuple[str, int, str], str] = {}

    def refusal(
        self, channel: str, update: IncidentUpdate | MaintenanceUpdate, rendered: Rendered
    ) -> str:
        key = (type(update).__name__, update.pk, channel)
        if key not in self.found:
            if isinstance(update, IncidentUpdate):
                phase = wording.incident_phase(update.status)
            else:
                phase = wording.maintenance_phase(update.status)
            violations = wording.check(
                rendered.text, channel=_POLICY_CHANNEL[channel], phase=phase, rules=self.rules
            )
            self.found[key] = "; ".join(v.reason for v in violations)
        return self.found[key]


def _mark_refused(delivery: Delivery, reasons: str, result: FanoutResult) -> None:
    """Never sent: its words break the wording policy on this channel. The subscriber
    stays subscribed; staff see the reasons beside the delivery and may retry it once the
    policy or the update's words change."""
    result.dead += 1
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
        state=DeliveryState.DEAD,
        attempts=delivery.attempts + 1,
        next_attempt_at=timezone.now(),
        last_error=f"refused by the wording policy: {reasons}"[:500],
    )
    log.warning("delivery %s refused by the wording policy: %s", delivery.pk, reasons)


def _provider(channel: str, delivery: Delivery | None = None) -> str:
    if channel == SubscriberChannel.WEBHOOK and delivery is not None:
        return provider_for(delivery.subscriber.destination)
    return channel


def _email_route() -> tuple[str, bool] | None:
    """Which email provider to use now: the primary, the fallback, or none (both open)."""
    state = limits.circuit_state("email")
    if state != "open":
        return "email", False
    if settings.CANDOR_EMAIL_FALLBACK_BACKEND and limits.circuit_state("email-fallback") != "open":
        return "email-fallback", True
    return None


def _sender(channel: str, *, fallback: bool) -> Sender:
    if channel == SubscriberChannel.EMAIL:
        return EmailSender(fallback=fallback)
    if channel == SubscriberChannel.SMS:
        return SmsSender()
    return WebhookSender()


def _relaxed_commits(on: bool) -> None:
    """Each message is marked sent in a commit of its own; waiting for each to be flushed
    to disk would cost more than sending the message. With synchronous_commit off the
    commit returns once it is in PostgreSQL's WAL buffers: a worker that dies loses no
    mark (the server has it); only a crash of the database server itself may lose the
    last fraction of a second of marks, and those messages would be sent again."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET synchronous_commit TO {'OFF' if on else 'DEFAULT'}")


def fanout_run(*, channel: str, max_seconds: float = 60.0) -> FanoutResult:
    """Send due deliveries of one channel until none is left, or the deadline passes."""
    deadline = time.monotonic() + max_seconds
    result = FanoutResult()
    batch_size = settings.CANDOR_NOTIFY_BATCH
    if channel == SubscriberChannel.SMS and not settings.CANDOR_SMS_ENABLED:
        # Twilio is not (or no longer) configured: the texts wait, nothing is claimed.
        result.stopped_by = "disabled"
        return result
    verdicts = _WordingVerdicts(wording.current_rules())
    _relaxed_commits(True)
    try:
        while time.monotonic() < deadline:
            provider, fallback = channel, False
            if channel == SubscriberChannel.EMAIL:
                route = _email_route()
                if route is None:
                    result.stopped_by = "circuit"
                    break
                provider, fallback = route
            # Webhooks have a circuit per receiving host, checked per delivery below.
            state = (
                "closed" if channel == SubscriberChannel.WEBHOOK else limits.circuit_state(provider)
            )
            if state == "open":
                result.stopped_by = "circuit"
                break
            # Half-open: one worker sends a single probe message; the others wait.
            want = batch_size
            if state == "half-open":
                if not limits.circuit_probe(provider):
                    result.stopped_by = "circuit"
                    break
                want = 1
            granted = limits.tokens_wait(provider, want, deadline=deadline)
            if not granted:
                continue
            batch = deliveries_claim(channel=channel, limit=granted)
            if not batch:
                break
            # The circuit may open on the way; the next round sees it, and email then
            # turns to the fallback provider (or stops, like the other channels).
            sender = _sender(channel, fallback=fallback)
            _send_batch(channel, batch, sender, provider, result, verdicts)
        else:
            result.stopped_by = "deadline"
    except limits.StateUnavailable as exc:
        log.warning("fan-out of %s paused: Redis unreachable (%s)", channel, exc)
        result.stopped_by = "redis"
    finally:
        _relaxed_commits(False)
    result.more = Delivery.objects.filter(
        channel=channel, state__in=DUE, next_attempt_at__lte=timezone.now()
    ).exists()
    return result


def _send_batch(
    channel: str,
    batch: list[Delivery],
    sender: Sender,
    provider: str,
    result: FanoutResult,
    verdicts: _WordingVerdicts,
) -> bool:
    """Send a claimed batch; False if the provider's circuit opened on the way."""
    try:
        for index, delivery in enumerate(batch):
            if delivery.subscriber.state != SubscriberState.CONFIRMED:
                # Unsubscribed since the update: nobody is waiting for this message.
                Delivery.objects.filter(pk=delivery.pk).delete()
                result.skipped += 1
                continue
            target = (
                _provider(channel, delivery) if channel == SubscriberChannel.WEBHOOK else provider
            )
            if channel == SubscriberChannel.WEBHOOK and limits.circuit_state(target) == "open":
                _mark_failed(delivery, TransportError(f"{target} circuit open"), result)
                continue
            rendered = message_render(
                channel=channel, update=delivery.update, subscriber=delivery.subscriber
            )
            if refusal := verdicts.refusal(channel, delivery.update, rendered):
                _mark_refused(delivery, refusal, result)
                continue
            try:
                provider_id = sender.send(delivery, rendered)
            except TransportError as error:
                _mark_failed(delivery, error, result)
                if error.provider_fault:
                    limits.circuit_failure(target)
                    if (
                        channel != SubscriberChannel.WEBHOOK
                        and limits.circuit_state(target) == "open"
                    ):
                        _release(batch[index + 1 :])
                        return False
                continue
            _mark_sent(delivery, provider_id)
            result.sent += 1
            result.providers.add(target)
        for target in result.providers:
            limits.circuit_success(target)
        result.providers.clear()
        return True
    finally:
        sender.close()
