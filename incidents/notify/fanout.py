"""The fan-out: claim due deliveries in batches, send each, mark each.

Claim, then act: a batch is claimed (`sending`, `claimed_at`) in one short transaction
with SKIP LOCKED, so workers never share a delivery; no network I/O happens inside a
transaction; each message goes into the sent journal (journal.py, Redis) the moment the
provider accepted it, and the batch's marks are committed together. A worker killed
mid-batch leaves its unmarked deliveries `sending`; the sweeper re-queues them after the
lease (outbox.deliveries_sweep), and whoever claims them next skips those the journal
says were sent.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from incidents import wording
from incidents.models import (
    FOLLOW_RELEASED,
    Announcement,
    Delivery,
    DeliveryState,
    IncidentUpdate,
    MaintenanceUpdate,
    Phase,
    Postmortem,
    Subscriber,
    SubscriberState,
    WordingRule,
)
from incidents.notify import limits
from incidents.notify.channels import Channel, channels_all
from incidents.notify.journal import SentJournal
from incidents.notify.render import Rendered, contexts_shared, subscriber_language
from incidents.notify.transports import Blame, Sender, TransportError
from incidents.notify.transports.lanes import Attempt, Dispatch, Lanes, dispatch_for
from incidents.wording.translations import translated_words, words_language

log = logging.getLogger(__name__)

DUE = [DeliveryState.PENDING, DeliveryState.FAILED]
# A provider's Retry-After is honoured up to a day: a larger one is a bug, not a plan.
_RETRY_AFTER_MAX = 86_400.0


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


_DELIVERIES = Delivery._meta.db_table
_SUBSCRIBERS = Subscriber._meta.db_table


_SUBSCRIBER = Delivery._meta.get_field("subscriber")
_DELIVERY_FIELDS = [f.attname for f in Delivery._meta.concrete_fields]
_SUBSCRIBER_FIELDS = [f.attname for f in Subscriber._meta.concrete_fields]


def _columns(model: type[Delivery] | type[Subscriber], alias: str) -> str:
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


# Select, mark and read back a batch with its subscribers in one round trip, committed on
# its own. The ORM's three queries (ids, update, the batch with select_related) cost a
# quarter of a fan-out worker's time, most of it in building their SQL (bench/README.md,
# "Fan-out").
_CLAIM = f"""
WITH claimed AS (
    UPDATE {_DELIVERIES} AS d SET state = %(sending)s, claimed_at = %(now)s
    FROM (
        SELECT id FROM {_DELIVERIES}
        WHERE channel = %(channel)s AND state = ANY(%(due)s) AND next_attempt_at <= %(now)s
        ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
    ) AS picked
    WHERE d.id = picked.id
    RETURNING d.*
)
SELECT {_columns(Delivery, "claimed")}, {_columns(Subscriber, "s")}
FROM claimed JOIN {_SUBSCRIBERS} AS s ON s.id = claimed.subscriber_id
ORDER BY claimed.id
"""  # noqa: S608  (table and column names from the models; every value is a parameter)


def _claim_in_one_statement(*, channel: str, limit: int, now: datetime) -> list[Delivery]:
    params: dict[str, Any] = {
        "sending": DeliveryState.SENDING,
        "now": now,
        "channel": channel,
        "due": list(DUE),
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        rows = cursor.fetchall()
    split = len(Delivery._meta.concrete_fields)
    batch = []
    for row in rows:
        delivery = Delivery.from_db(connection.alias, _DELIVERY_FIELDS, row[:split])
        _SUBSCRIBER.set_cached_value(
            delivery, Subscriber.from_db(connection.alias, _SUBSCRIBER_FIELDS, row[split:])
        )
        batch.append(delivery)
    return batch


def deliveries_claim(*, channel: str, limit: int) -> list[Delivery]:
    now = timezone.now()
    if connection.vendor == "postgresql":
        batch = _claim_in_one_statement(channel=channel, limit=limit, now=now)
        _updates_attach(batch)
        return batch
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(channel=channel, state__in=DUE, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(state=DeliveryState.SENDING, claimed_at=now)
    batch = list(Delivery.objects.filter(pk__in=ids).select_related("subscriber").order_by("pk"))
    _updates_attach(batch)
    return batch


def _updates_attach(batch: list[Delivery]) -> None:
    """Load each update a batch refers to once (a batch is usually one update's), with the
    incident or maintenance it belongs to, rather than once per delivery."""
    incident_updates = IncidentUpdate.objects.select_related("incident").in_bulk(
        {d.incident_update_id for d in batch if d.incident_update_id}
    )
    maintenance_updates = MaintenanceUpdate.objects.select_related("maintenance").in_bulk(
        {d.maintenance_update_id for d in batch if d.maintenance_update_id}
    )
    postmortems = Postmortem.objects.select_related("incident").in_bulk(
        {d.postmortem_id for d in batch if d.postmortem_id}
    )
    for delivery in batch:
        if delivery.incident_update_id:
            delivery.incident_update = incident_updates[delivery.incident_update_id]
        elif delivery.maintenance_update_id:
            delivery.maintenance_update = maintenance_updates[delivery.maintenance_update_id]
        else:
            delivery.postmortem = postmortems[delivery.postmortem_id]


def _release(deliveries: list[Delivery]) -> None:
    """Hand back claimed deliveries that were not attempted (the circuit opened)."""
    if deliveries:
        Delivery.objects.filter(
            pk__in=[d.pk for d in deliveries], state=DeliveryState.SENDING
        ).update(state=DeliveryState.PENDING, claimed_at=None)


def _ours(delivery: Delivery) -> QuerySet[Delivery]:
    """The delivery, if it is still held by this claim (journal.py: fenced marks)."""
    return Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, claimed_at=delivery.claimed_at
    )


def _mark_failed(delivery: Delivery, error: TransportError, result: FanoutResult) -> None:
    """Retry later, or give up: only on a recipient's own permanent refusal (which stops
    the subscription too), or after CANDOR_NOTIFY_MAX_ATTEMPTS failures that were not the
    provider's. A provider's failure never uses up a message: the circuit paces those."""
    attempts = delivery.attempts + 1
    now = timezone.now()
    confirmed = error.permanent and error.blame is Blame.RECIPIENT
    out_of_attempts = (
        attempts >= settings.CANDOR_NOTIFY_MAX_ATTEMPTS and error.blame is not Blame.PROVIDER
    )
    if confirmed or out_of_attempts:
        state, result.dead = DeliveryState.DEAD, result.dead + 1
        next_at = now
    else:
        state, result.failed = DeliveryState.FAILED, result.failed + 1
        wait = max(backoff(attempts), min(error.retry_after or 0.0, _RETRY_AFTER_MAX))
        next_at = now + timedelta(seconds=wait)
    _ours(delivery).update(
        state=state, attempts=attempts, next_attempt_at=next_at, last_error=str(error)[:500]
    )
    if confirmed:
        _subscription_stop(delivery, str(error))


def _subscription_stop(delivery: Delivery, reason: str) -> None:
    Subscriber.objects.filter(pk=delivery.subscriber_id).update(
        state=SubscriberState.STOPPED, stopped_reason=reason[:300]
    )


def _refusal_confirm(delivery: Delivery, error: TransportError, result: FanoutResult) -> None:
    """A refusal the provider's later deliveries showed to be this recipient's own: give up
    on the message (if it is still as the refusal left it) and stop the subscription."""
    as_left = Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts + 1)
    if as_left.filter(state=DeliveryState.FAILED).update(
        state=DeliveryState.DEAD, next_attempt_at=timezone.now()
    ):
        result.failed, result.dead = result.failed - 1, result.dead + 1
    elif not as_left.filter(state=DeliveryState.DEAD).exists():
        return  # retried or re-claimed since: no longer ours to judge
    _subscription_stop(delivery, str(error))
    log.info("delivery %s: the recipient's own refusal (%s)", delivery.pk, error)


def _refusals_forgive(deliveries: list[Delivery]) -> None:
    """Refusals that turned out to be the provider's: they use up none of the message's
    attempts (nor end it, at the last one), as a provider's failure never does."""
    now = timezone.now()
    for delivery in deliveries:
        Delivery.objects.filter(
            pk=delivery.pk,
            state__in=[DeliveryState.FAILED, DeliveryState.DEAD],
            attempts=delivery.attempts + 1,
        ).update(
            state=DeliveryState.FAILED,
            attempts=delivery.attempts,
            next_attempt_at=now + timedelta(seconds=backoff(max(delivery.attempts, 1))),
        )


class _WordingVerdicts:
    """The wording policy's verdict on each update's message per channel, once per run.

    Every message of an update on a channel has the same words (only the subscriber's own
    links differ), so one check covers a whole fan-out; the rules are read once.
    """

    def __init__(self, rules: list[WordingRule]) -> None:
        self.rules = rules
        self.found: dict[tuple[str, int, str, str], str] = {}

    def refusal(
        self,
        channel: Channel,
        update: Announcement,
        rendered: Rendered,
        subscriber: Subscriber,
    ) -> str:
        # Per language too: a subscriber's words may be an approved translation.
        language = subscriber_language(subscriber)
        key = (type(update).__name__, update.pk, channel.name, language)
        if key not in self.found:
            if isinstance(update, Postmortem):
                phase = Phase.POSTMORTEM
            elif isinstance(update, IncidentUpdate):
                phase = wording.incident_phase(update.status)
            else:
                phase = wording.maintenance_phase(update.status)
            violations = wording.check(
                rendered.text,
                channel=channel.policy_channel,
                phase=phase,
                rules=self.rules,
                # The language of the words sent: a translation's, or the original's.
                language=words_language(language)
                if not isinstance(update, Postmortem)
                and translated_words(update, language) is not None
                else "",
            )
            self.found[key] = "; ".join(v.reason for v in violations)
        return self.found[key]


def _mark_refused(delivery: Delivery, reasons: str, result: FanoutResult) -> None:
    """Never sent: its words break the wording policy on this channel. The subscriber
    stays subscribed; staff see the reasons beside the delivery and may retry it once the
    policy or the update's words change."""
    result.dead += 1
    _ours(delivery).update(
        state=DeliveryState.DEAD,
        attempts=delivery.attempts + 1,
        next_attempt_at=timezone.now(),
        last_error=f"refused by the wording policy: {reasons}"[:500],
    )
    log.warning("delivery %s refused by the wording policy: %s", delivery.pk, reasons)


def _route(channel: Channel) -> tuple[str, str] | None:
    """The provider to send through now and its circuit's state: the first route whose
    circuit is not open (email turns to its fallback), or None when every one is. A
    channel with a circuit per destination checks those per delivery instead."""
    routes = channel.routes()
    if channel.per_destination_circuit:
        return routes[0], "closed"
    for route in routes:
        state = limits.circuit_state(route)
        if state != "open":
            return route, state
    return None


def fanout_run(*, channel: str, max_seconds: float = 60.0) -> FanoutResult:
    """Send due deliveries of one channel until none is left, or the deadline passes."""
    deadline = time.monotonic() + max_seconds
    result = FanoutResult()
    batch_size = settings.CANDOR_NOTIFY_BATCH
    way = channels_all().get(channel)
    if way is None:
        # Taken out of CANDOR_CHANNELS with messages still due: they wait, unsent and
        # unjudged, until it is back (or staff delete them).
        log.warning("fan-out of %s: no such channel in CANDOR_CHANNELS", channel)
        result.stopped_by = "unregistered"
        return result
    if not way.enabled():
        # Not (or no longer) configured: the messages wait, nothing is claimed.
        result.stopped_by = "disabled"
        return result
    run = _Run(way, result, _WordingVerdicts(wording.current_rules()), SentJournal())
    try:
        while time.monotonic() < deadline:
            route = _route(way)
            if route is None:
                result.stopped_by = "circuit"
                break
            provider, state = route
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
            run.heartbeat()
            batch = run.unsent(batch)
            # The circuit may open on the way; the next round sees it, and turns to the
            # channel's next route (email's fallback provider) or stops.
            sender = way.sender(route=provider, ready=run.journal.settle)
            _send_batch(run, batch, sender, provider, probing=state == "half-open")
        else:
            result.stopped_by = "deadline"
    except limits.StateUnavailable as exc:
        log.warning("fan-out of %s paused: Redis unreachable (%s)", channel, exc)
        result.stopped_by = "redis"
    finally:
        run.journal.close()
    result.more = Delivery.objects.filter(
        channel=channel, state__in=DUE, next_attempt_at__lte=timezone.now()
    ).exists()
    return result


@dataclass
class _Suspect:
    """A refusal at the recipient step (Blame.EITHER) awaiting the provider's next word."""

    delivery: Delivery
    error: TransportError
    at: float  # time.monotonic() when the refusal came


@dataclass
class _Run:
    """What one fan-out run carries from batch to batch."""

    channel: Channel
    result: FanoutResult
    verdicts: _WordingVerdicts
    journal: SentJournal
    beat_at: float = 0.0
    # Per provider, the EITHER refusals since its last accepted message: a run of
    # CANDOR_NOTIFY_CIRCUIT_FAILURES of them is the provider refusing everyone.
    suspects: dict[str, list[_Suspect]] = field(default_factory=dict)
    # Providers that accepted a message in this run: a 5.1.x refusal beside them is the
    # mailbox's own.
    delivered: set[str] = field(default_factory=set)

    def refused(
        self,
        target: str,
        delivery: Delivery,
        error: TransportError,
        *,
        probing: bool,
        at: float,
    ) -> bool:
        """An EITHER refusal; True if it is the provider's: it makes a run of refusals
        long enough, or it answered the half-open circuit's probe."""
        streak = self.suspects.setdefault(target, [])
        streak.append(_Suspect(delivery, error, at))
        if len(streak) < settings.CANDOR_NOTIFY_CIRCUIT_FAILURES and not probing:
            return False
        log.warning(
            "%s refused %d recipients in a row (%s): the provider's refusal, not theirs",
            target,
            len(streak),
            error,
        )
        _refusals_forgive([s.delivery for s in streak])
        streak.clear()  # nothing in it is held against the recipients
        return True

    def accepted(self, target: str, *, since: float) -> None:
        """The provider took a message that it was given at `since`: the permanent
        refusals that came before that were the recipients' own. (With several
        connections, a message given to the provider before a refusal may be taken after
        it: that says nothing about the provider after the refusal.)"""
        self.delivered.add(target)
        streak = self.suspects.pop(target, [])
        for suspect in streak:
            if suspect.at < since and suspect.error.permanent:
                _refusal_confirm(suspect.delivery, suspect.error, self.result)
        if later := [suspect for suspect in streak if suspect.at >= since]:
            self.suspects[target] = later

    def settle(self, target: str) -> None:
        """At the end of a batch: a 5.1.x refusal while this provider delivered to others
        in this run names the mailbox; every other refusal waits for its retry."""
        streak = self.suspects.get(target, [])
        # Two refusals in a row at the end could be the provider starting to refuse.
        if target not in self.delivered or len(streak) != 1:
            return
        (suspect,) = streak
        if suspect.error.permanent and suspect.error.strong:
            _refusal_confirm(suspect.delivery, suspect.error, self.result)
            streak.clear()

    def heartbeat(self) -> None:
        """Tell the sweeper this channel has a run at work (limits.fanout_active)."""
        if time.monotonic() - self.beat_at >= limits.ACTIVE_REFRESH:
            limits.fanout_heartbeat(self.channel.name)
            self.beat_at = time.monotonic()

    def unsent(self, batch: list[Delivery]) -> list[Delivery]:
        """The claimed deliveries that no earlier claimer had already sent."""
        try:
            sent = self.journal.already_sent(batch)
        except limits.StateUnavailable:
            _release(batch)
            raise
        self.result.skipped += len(sent)
        return [d for d in batch if d.pk not in sent]


def _still_wanted(delivery: Delivery) -> bool:
    """Whether the subscriber still wants the message: confirmed, or a follower let go
    when the incident was resolved, whom its postmortem reaches (outbox._wanting)."""
    subscriber = delivery.subscriber
    if subscriber.state == SubscriberState.CONFIRMED:
        return True
    return (
        delivery.postmortem_id is not None
        and subscriber.state == SubscriberState.UNSUBSCRIBED
        and subscriber.stopped_reason == FOLLOW_RELEASED
        and subscriber.incident_id is not None
    )


def _speaking(language: str) -> AbstractContextManager[None]:
    """`translation.override`, unless the language is already the active one: most of a
    batch's messages are in the same language, and switching twice per message showed in
    the fan-out's profile."""
    if translation.get_language() == language:
        return nullcontext()
    return translation.override(language)


def _send_batch(
    run: _Run,
    batch: list[Delivery],
    sender: Sender | Lanes,
    provider: str,
    *,
    probing: bool = False,
) -> bool:
    """Send a claimed batch; False if the provider's circuit opened on the way.

    Each accepted message goes into the journal at once; the batch's marks are committed
    together at the end, whatever ends it. `probing`: the batch is the half-open circuit's
    one probe, and any failure that may be the provider's opens the circuit again.
    """
    dispatch = dispatch_for(sender)
    try:
        with contexts_shared():  # each update's context read once for the batch
            return _send_each(run, batch, dispatch, provider, probing=probing)
    except BaseException:
        # The batch broke off: what the provider took meanwhile still goes in the journal,
        # so the next claimer does not send it again (committed below, if it can be).
        for attempt in dispatch.drain():
            if attempt.error is None and attempt.crash is None:
                run.journal.record(attempt.delivery, attempt.provider_id, flush=False)
        raise
    finally:
        try:
            dispatch.close()  # messages still on their way end first
        finally:
            run.journal.flush()


def _send_each(
    run: _Run, batch: list[Delivery], dispatch: Dispatch, provider: str, *, probing: bool
) -> bool:
    """`_send_batch`'s messages, each handed to the sender (transports/lanes.py) and its
    end taken back before the sender gets another; False if the circuit opened."""
    channel, result, verdicts = run.channel, run.result, run.verdicts
    for index, delivery in enumerate(batch):
        if not _ended(run, dispatch.finished(), provider, probing=probing):
            _release(batch[index:])  # not handed to the sender
            _ended(run, dispatch.drain(), provider, probing=probing)
            return False
        run.heartbeat()
        if not _still_wanted(delivery):
            # Unsubscribed since the update: nobody is waiting for this message.
            Delivery.objects.filter(pk=delivery.pk).delete()
            result.skipped += 1
            continue
        target = channel.circuit_for(delivery, provider)
        if channel.per_destination_circuit and limits.circuit_state(target) == "open":
            _mark_failed(delivery, TransportError(f"{target} circuit open"), result)
            continue
        # Interface words (status, footer, links) in the subscriber's language.
        with _speaking(delivery.subscriber.language or settings.LANGUAGE_CODE):
            rendered = channel.render(update=delivery.update, subscriber=delivery.subscriber)
        if refusal := verdicts.refusal(channel, delivery.update, rendered, delivery.subscriber):
            _mark_refused(delivery, refusal, result)
            continue
        dispatch.start(delivery, rendered)
    if not _ended(run, dispatch.drain(), provider, probing=probing):
        return False
    for target in result.providers:
        limits.circuit_success(target)
        run.settle(target)
    result.providers.clear()
    return True


def _ended(run: _Run, attempts: list[Attempt], provider: str, *, probing: bool) -> bool:
    """Record how these messages ended; False if a failure opened the provider's circuit
    (the rest are still recorded: a message the provider took is journaled whatever
    followed it)."""
    channel, result = run.channel, run.result
    # Every message the provider took goes into the journal first: what follows can fail
    # (the database stopping), and one taken but not journaled would be sent again.
    for attempt in attempts:
        if attempt.error is None and attempt.crash is None:
            run.journal.record(attempt.delivery, attempt.provider_id, flush=False)
    for attempt in attempts:
        if attempt.crash is not None:
            # A sender's bug: the message may or may not have gone, and its delivery
            # stays claimed until the lease (as when a worker dies).
            raise attempt.crash
    run.journal.flush_due()
    closed = True
    for attempt in attempts:
        delivery, error = attempt.delivery, attempt.error
        target = channel.circuit_for(delivery, provider)
        if error is None:
            run.accepted(target, since=attempt.started)
            result.sent += 1
            result.providers.add(target)
            continue
        _mark_failed(delivery, error, result)
        everyone = error.blame is Blame.EITHER and run.refused(
            target, delivery, error, probing=probing, at=attempt.ended
        )
        if error.provider_fault or everyone:
            limits.circuit_failure(target, trip=everyone)
            if not channel.per_destination_circuit and limits.circuit_state(target) == "open":
                run.suspects.pop(target, None)  # refused alongside the outage
                closed = False
    return closed
