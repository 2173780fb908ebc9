"""The outbox: deliveries written with the update, re-queued when a worker died.

`deliveries_create` runs inside the lifecycle's transaction, so an update and its
deliveries commit together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from incidents.audiences.visibility import update_readers
from incidents.audit import Actor, audit_record
from incidents.enqueue import Fallback, Outcome, enqueue
from incidents.models import (
    FOLLOW_RELEASED,
    Announcement,
    AuditAction,
    Delivery,
    DeliveryState,
    IncidentUpdate,
    MaintenanceUpdate,
    Postmortem,
    Subscriber,
    SubscriberChannel,
    SubscriberComponent,
    SubscriberState,
)

log = logging.getLogger(__name__)

FANOUT_TASK = "incidents.tasks.notify_fanout"


def _wanting(
    update: Announcement,
    component_ids: Iterable[int],
    *,
    skip_channels: Iterable[str] = (),
) -> tuple[str, list[Any]]:
    """The subscribers who get `update`: `FROM ... s WHERE ...` and its parameters.

    The one selection the outbox writes deliveries for and the send forecast counts
    (costs/forecast.py). Confirmed subscribers to all components get every update; the
    others, updates about at least one of their components. A follower of one incident
    (follow.py) gets that incident's updates, unless the same address already gets them
    through a page-wide subscription (one message, not two), and of its postmortem. Whatever
    they chose, an update only reaches those who may read it (audiences/visibility.py).
    """
    ids = sorted(set(component_ids))
    table = Subscriber._meta.db_table
    wants = "{s}.all_components"
    params: list[Any] = [SubscriberState.CONFIRMED]
    if ids:
        wants += (
            f" OR EXISTS (SELECT 1 FROM {SubscriberComponent._meta.db_table} sc"  # noqa: S608
            f" WHERE sc.subscriber_id = {{s}}.id AND sc.component_id IN"
            f" ({', '.join(['%s'] * len(ids))}))"
        )
    page_wide = f"{{s}}.incident_id IS NULL AND ({wants})"
    released = isinstance(update, Postmortem)
    # An update: confirmed subscribers only. A postmortem: also the followers let go when
    # the incident was resolved (follow.py): they asked to follow it, and this is how it
    # ended. (The update's form is kept as it was: the 100,000-row insert is planned on it.)
    if released:
        where = f"((s.state = %s AND {page_wide.format(s='s')})"
    else:
        where = f"s.state = %s AND ({page_wide.format(s='s')}"
    params.extend(ids)
    incident_id = getattr(update, "incident_id", None)
    if incident_id is not None:
        following = ""
        if released:
            following = "(s.state = %s OR (s.state = %s AND s.stopped_reason = %s)) AND "
            params.extend(
                [SubscriberState.CONFIRMED, SubscriberState.UNSUBSCRIBED, FOLLOW_RELEASED]
            )
        where += (
            f" OR ({following}s.incident_id = %s AND NOT EXISTS ("  # noqa: S608
            f"SELECT 1 FROM {table} g WHERE g.channel = s.channel"
            " AND g.destination = s.destination AND g.state = %s"
            f" AND {page_wide.format(s='g')}))"
        )
        params.extend([incident_id, SubscriberState.CONFIRMED, *ids])
    where += ")"
    # Audience-only words, or an incident limited to audiences, reach the subscribers of
    # those audiences alone; a public subscriber (no audience) never gets them.
    readers = update_readers(update)
    if readers is not None:
        if readers:
            where += f" AND s.audience_id IN ({', '.join(['%s'] * len(readers))})"
            params.extend(sorted(readers))
        else:
            where += " AND 1 = 0"
    skipped = sorted(set(skip_channels))
    if skipped:
        where += f" AND s.channel NOT IN ({', '.join(['%s'] * len(skipped))})"
        params.extend(skipped)
    return f"FROM {table} s WHERE {where}", params


def wanting_counts(update: Announcement, component_ids: Iterable[int]) -> dict[str, int]:
    """How many subscribers of each channel `deliveries_create` would write a row for."""
    sql, params = _wanting(update, component_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.channel, COUNT(*) {sql} GROUP BY s.channel", params)
        return {str(channel): int(count) for channel, count in cursor.fetchall()}


def wanting_by_prefix(
    update: Announcement, component_ids: Iterable[int], *, channel: str
) -> list[tuple[str, int]]:
    """(prefix, subscribers) of one channel who would get `update`: the prefix is what
    address_normalise found when they subscribed (an SMS number's country); "" for rows
    stored before it was kept (`wanting_unprefixed` lists those)."""
    sql, params = _wanting(update, component_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.prefix, COUNT(*) {sql} AND s.channel = %s GROUP BY s.prefix",
            [*params, channel],
        )
        return [(str(prefix), int(count)) for prefix, count in cursor.fetchall()]


def wanting_unprefixed(
    update: Announcement, component_ids: Iterable[int], *, channel: str
) -> Iterator[str]:
    """The destinations, among those, with no stored prefix."""
    sql, params = _wanting(update, component_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.destination {sql} AND s.channel = %s AND s.prefix = ''",
            [*params, channel],
        )
        while rows := cursor.fetchmany(5000):
            yield from (str(row[0]) for row in rows)


# The delivery's column naming what it tells of.
_COLUMNS: dict[type, str] = {
    IncidentUpdate: "incident_update_id",
    MaintenanceUpdate: "maintenance_update_id",
    Postmortem: "postmortem_id",
}


def deliveries_create(
    *,
    update: Announcement,
    component_ids: Iterable[int],
    now: datetime,
    skip_channels: Iterable[str] = (),
) -> int:
    """One delivery per confirmed subscriber who wants this update (`_wanting`); how many.

    One INSERT ... SELECT: 100,000 rows never pass through Python. ON CONFLICT DO NOTHING
    makes a second call for the same update harmless (and a postmortem published again
    tells nobody twice). `skip_channels` get nothing (an update sent by email and chat
    only).
    """
    column = _COLUMNS[type(update)]
    others = ", ".join(c for c in _COLUMNS.values() if c != column)
    # Bound as the ORM would store it (SQLite keeps naive UTC text, no "+00:00").
    at = connection.ops.adapt_datetimefield_value(now)
    selection, params = _wanting(update, component_ids, skip_channels=skip_channels)
    sql = (
        # Only names from the models are formatted in; every value is a bound parameter.
        f"INSERT INTO {Delivery._meta.db_table} (subscriber_id, channel, {column}, {others},"
        " state, attempts, next_attempt_at, claimed_at, sent_at, last_error, provider_id,"
        " provider_status, created_at)"
        f" SELECT s.id, s.channel, %s, NULL, NULL, 'pending', 0, %s, NULL, NULL, '', '', '', %s"
        f" {selection} ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [update.pk, at, at, *params])
        created = cursor.rowcount
    if created <= 0:
        return 0
    channels = sorted(
        set(
            Delivery.objects.filter(**{column.removesuffix("_id"): update.pk})
            .values_list("channel", flat=True)
            .distinct()
        )
    )
    transaction.on_commit(lambda: fanout_kick(channels), robust=True)
    return created


def fanout_kick(channels: Iterable[str]) -> None:
    """Start the fan-out of each channel, one task per worker process.

    If the broker is down this logs it: the deliveries are already in the database and
    the sweeper starts them later.
    """
    for channel in channels:
        for _ in range(settings.CANDOR_NOTIFY_PARALLEL):
            if enqueue(FANOUT_TASK, channel, fallback=Fallback.SWEEP) is Outcome.FAILED:
                return  # the broker is down: the sweeper starts every channel later


def deliveries_sweep(*, now: datetime | None = None) -> tuple[int, list[str]]:
    """Re-queue deliveries a dead worker held past the lease; which channels are due.

    A delivery still `sending` past the lease was claimed by a worker that died (or lost
    its database) before it could mark it. Its message was not confirmed sent, so it goes
    back to pending: at most the messages that worker had in flight (one per connection)
    can reach their recipients twice, with the same Message-ID / Idempotency-Key
    (docs/design.md).
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.CANDOR_NOTIFY_LEASE)
    requeued = Delivery.objects.filter(
        state=DeliveryState.SENDING, claimed_at__lt=now - lease
    ).update(state=DeliveryState.PENDING, claimed_at=None, next_attempt_at=now)
    if requeued:
        log.warning("re-queued %d deliveries held past their lease", requeued)
    due = set(
        Delivery.objects.filter(
            state__in=[DeliveryState.PENDING, DeliveryState.FAILED], next_attempt_at__lte=now
        )
        .values_list("channel", flat=True)
        .distinct()
    )
    return requeued, sorted(due)


class Outbox:
    """The audit log's target for a retry of every update's failures at once."""

    public_id = "all"
    pk = None


def deliveries_retry(
    *,
    actor: Actor,
    incident_update: IncidentUpdate | None = None,
    maintenance_update: MaintenanceUpdate | None = None,
) -> int:
    """Staff's "retry failed": every delivery given up on goes back to pending."""
    now = timezone.now()
    deliveries = Delivery.objects.filter(state=DeliveryState.DEAD)
    if incident_update is not None:
        deliveries = deliveries.filter(incident_update=incident_update)
    if maintenance_update is not None:
        deliveries = deliveries.filter(maintenance_update=maintenance_update)
    deliveries = deliveries.filter(subscriber__state=SubscriberState.CONFIRMED)
    channels = set(deliveries.values_list("channel", flat=True).distinct())
    count = deliveries.update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
    update = incident_update or maintenance_update
    audit_record(
        actor=actor,
        action=AuditAction.NOTIFICATIONS_RETRIED,
        target=update if update is not None else Outbox(),
        summary=f"Retried {count} failed notifications",
        at=now,
    )
    if count:
        transaction.on_commit(lambda: fanout_kick(sorted(channels)), robust=True)
    return count


# Twilio's final word on a message it had accepted: it never reached the phone.
_UNDELIVERED = {"undelivered", "failed"}


def delivery_provider_status(*, provider_id: str, status: str, error_code: str = "") -> int:
    """Record what the provider later said about a sent message (Twilio's callback)."""
    if not provider_id or not status:
        return 0
    deliveries = Delivery.objects.filter(provider_id=provider_id, channel=SubscriberChannel.SMS)
    if status in _UNDELIVERED:
        return deliveries.update(
            provider_status=status[:32],
            state=DeliveryState.DEAD,
            last_error=f"Twilio: {status}" + (f" (error {error_code})" if error_code else ""),
        )
    return deliveries.update(provider_status=status[:32])


@dataclass(frozen=True)
class UpdateDeliveries:
    """Per update: how many messages are delivered, pending and failed, per channel."""

    update: IncidentUpdate | MaintenanceUpdate
    title: str
    counts: dict[str, dict[str, int]]  # channel -> delivered / pending / failed

    @property
    def failed(self) -> int:
        return sum(c["failed"] for c in self.counts.values())


_BUCKET = {
    DeliveryState.SENT: "delivered",
    DeliveryState.PENDING: "pending",
    DeliveryState.SENDING: "pending",
    DeliveryState.FAILED: "pending",  # will be retried
    DeliveryState.DEAD: "failed",
}


def deliveries_by_update(*, limit: int = 20) -> list[UpdateDeliveries]:
    """The latest updates that had deliveries, with their counts (the console's view)."""
    rows = (
        Delivery.objects.values("incident_update", "maintenance_update", "channel", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    latest_incident = list(
        IncidentUpdate.objects.filter(deliveries__isnull=False)
        .distinct()
        .select_related("incident")
        .order_by("-created_at")[:limit]
    )
    latest_maintenance = list(
        MaintenanceUpdate.objects.filter(deliveries__isnull=False)
        .distinct()
        .select_related("maintenance")
        .order_by("-created_at")[:limit]
    )
    rows = rows.filter(
        Q(incident_update__in=latest_incident) | Q(maintenance_update__in=latest_maintenance)
    )
    counts: dict[tuple[str, int], dict[str, dict[str, int]]] = {}
    for row in rows:
        key = (
            ("i", row["incident_update"])
            if row["incident_update"]
            else ("m", row["maintenance_update"])
        )
        channel = counts.setdefault(key, {}).setdefault(
            row["channel"], {"delivered": 0, "pending": 0, "failed": 0}
        )
        channel[_BUCKET[DeliveryState(row["state"])]] += row["n"]
    result = [
        UpdateDeliveries(update=u, title=u.incident.name, counts=counts.get(("i", u.pk), {}))
        for u in latest_incident
    ] + [
        UpdateDeliveries(update=u, title=u.maintenance.name, counts=counts.get(("m", u.pk), {}))
        for u in latest_maintenance
    ]
    result.sort(key=lambda r: r.update.created_at, reverse=True)
    return result[:limit]
