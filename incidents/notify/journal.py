"""Which claimed messages were sent: written to Redis the moment a provider accepts one,
committed to PostgreSQL for a whole batch at once.

A mark per message in a PostgreSQL commit of its own cost half the fan-out's throughput
(bench/README.md). A Redis write costs a fraction of that, and it is all that is needed to
keep the promise "a killed worker repeats at most the messages it had in flight" (one, or
one per email connection: transports/lanes.py): the worker that claims the deliveries
again asks the journal first and never re-sends what is in it (`already_sent`). The
batch's marks reach PostgreSQL in one statement (`flush`), at the end of each batch and at
least every FLUSH_EVERY seconds.

Every mark is fenced by the claim it belongs to (`claimed_at`): a worker that outlived its
lease and was replaced cannot mark deliveries another worker now holds.

Without Redis (the embedded single-process setup) each message is marked in PostgreSQL
at once, as before. When Redis stops answering mid-batch, so does the journal: the
remaining messages of the batch are marked in PostgreSQL one by one, and the fan-out stops
at its next token request. Losing both the worker and Redis's memory between a send and
the flush is the one double fault that can repeat up to one batch; each repeat carries the
same Message-ID / Idempotency-Key (docs/design.md, "Notifications").
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import Delivery, DeliveryState
from incidents.notify import limits

log = logging.getLogger(__name__)

FLUSH_EVERY = 2.0  # seconds: how long a sent message may stay marked in Redis alone
_TTL = 86_400  # a mark outlives any lease: the next claimer must still see it

_TABLE = Delivery._meta.db_table


@dataclass(frozen=True)
class Mark:
    delivery_id: int
    claimed_at: datetime
    sent_at: datetime
    provider_id: str


def _key(delivery_id: int) -> str:
    return f"{limits.redis_prefix()}:sent:{delivery_id}"


def _encode(sent_at: datetime, provider_id: str) -> str:
    return f"{sent_at.timestamp():.6f} {provider_id}"


def _decode(raw: bytes | str) -> tuple[datetime, str]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    stamp, _, provider_id = text.partition(" ")
    return datetime.fromtimestamp(float(stamp), tz=UTC), provider_id


def marks_commit(marks: list[Mark]) -> set[int]:
    """Mark these deliveries sent in one commit; the ids that were still ours to mark."""
    if not marks:
        return set()
    if connection.vendor == "postgresql":
        # Four arrays, not a VALUES row per mark: the statement's text stays the same
        # whatever the batch, and binding 2,000 parameters one by one cost the fan-out more
        # than the UPDATE itself (bench/README.md, "Fan-out").
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_TABLE} AS d SET state = %s, sent_at = v.sent_at,"  # noqa: S608
                " attempts = d.attempts + 1, provider_id = v.provider_id, last_error = ''"
                " FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::timestamptz[])"
                " AS v (id, sent_at, provider_id, claimed_at)"
                " WHERE d.id = v.id AND d.state = %s AND d.claimed_at = v.claimed_at"
                " RETURNING d.id",
                [
                    DeliveryState.SENT,
                    [m.delivery_id for m in marks],
                    [m.sent_at for m in marks],
                    [m.provider_id[:64] for m in marks],
                    [m.claimed_at for m in marks],
                    DeliveryState.SENDING,
                ],
            )
            return {row[0] for row in cursor.fetchall()}
    with transaction.atomic():
        # Elsewhere (SQLite, `make run`) one ORM update per mark: the ORM binds claimed_at
        # as the backend stores it (SQLite keeps naive UTC text; a raw parameter carried
        # "+00:00" and never matched, so nothing was ever marked sent).
        done: set[int] = set()
        for m in marks:
            if Delivery.objects.filter(
                pk=m.delivery_id, state=DeliveryState.SENDING, claimed_at=m.claimed_at
            ).update(
                state=DeliveryState.SENT,
                sent_at=m.sent_at,
                attempts=F("attempts") + 1,
                provider_id=m.provider_id[:64],
                last_error="",
            ):
                done.add(m.delivery_id)
        return done


class SentJournal:
    """One worker's record of sent messages not yet committed to PostgreSQL.

    A mark goes to Redis the moment the provider accepted the message, without waiting for
    Redis's answer: `settle` reads the answers, and the senders call it before the next
    message can reach anyone (for email, after the next envelope and before its DATA). So
    the wait for Redis overlaps the next message's first round trips, and there is still
    never more than one sent message that the journal may not hold.
    """

    def __init__(self) -> None:
        self.client = limits.redis_client()
        self.conn: redis.connection.Connection | None = None  # our own: see settle
        self.unsettled = 0  # marks sent to Redis whose answer was not read yet
        self.degraded = False  # Redis failed during this batch: mark in PostgreSQL at once
        self.marks: list[Mark] = []
        self.flushed_at = time.monotonic()

    def already_sent(self, deliveries: list[Delivery]) -> set[int]:
        """Deliveries just claimed that an earlier claimer had sent before it died: they are
        marked sent with the earlier claimer's provider id, and must not be sent again.

        Raises limits.StateUnavailable when Redis cannot tell: nothing may be sent then.
        """
        self.settle()
        self.degraded = False  # a new batch tries Redis again
        if self.client is None or not deliveries:
            return set()
        try:
            found = self.client.mget([_key(d.pk) for d in deliveries])
        except redis.RedisError as exc:
            raise limits.StateUnavailable(str(exc)) from exc
        sent = set()
        for delivery, raw in zip(deliveries, found, strict=True):
            if raw is not None:
                assert delivery.claimed_at is not None
                sent_at, provider_id = _decode(raw)
                self.marks.append(Mark(delivery.pk, delivery.claimed_at, sent_at, provider_id))
                sent.add(delivery.pk)
        if sent:
            log.warning(
                "%d claimed deliveries had already been sent by an earlier claim", len(sent)
            )
            self.flush()
        return sent

    def record(self, delivery: Delivery, provider_id: str, *, flush: bool = True) -> None:
        """The provider accepted this delivery's message: remember it before anything else.

        `flush=False`: only into Redis (or the list to commit) for now; the caller records
        the others that ended with it first, then calls `flush_due` (fanout._ended)."""
        assert delivery.claimed_at is not None
        mark = Mark(delivery.pk, delivery.claimed_at, timezone.now(), provider_id)
        self.marks.append(mark)
        if self.client is not None and not self.degraded:
            try:
                if self.conn is None:
                    self.conn = self.client.connection_pool.get_connection()
                value = _encode(mark.sent_at, provider_id)
                self.conn.send_command(
                    "SET", _key(mark.delivery_id), value, "EX", _TTL, check_health=False
                )
                self.unsettled += 1
            except redis.RedisError as exc:
                self._degrade(exc)
        if flush:
            self.flush_due()

    def flush_due(self) -> None:
        """Commit the marks if they may not wait: no Redis (or it failed), or FLUSH_EVERY."""
        if self.marks and (
            self.degraded
            or self.client is None
            or time.monotonic() - self.flushed_at >= FLUSH_EVERY
        ):
            self.flush()

    def settle(self) -> None:
        """Wait until Redis holds every mark recorded so far (or they are in PostgreSQL)."""
        while self.unsettled and self.conn is not None:
            try:
                self.conn.read_response()
            except redis.RedisError as exc:
                self._degrade(exc)
                self.flush()
                return
            self.unsettled -= 1

    def _degrade(self, exc: Exception) -> None:
        log.warning("sent journal unavailable (%s): marking in the database", exc)
        self.degraded = True
        self.unsettled = 0
        self._release(broken=True)

    def _release(self, *, broken: bool = False) -> None:
        if self.conn is not None and self.client is not None:
            if broken:
                self.conn.disconnect()  # unread answers must not reach the next user
            self.client.connection_pool.release(self.conn)
        self.conn = None

    def flush(self) -> int:
        """Commit the recorded marks to PostgreSQL, then forget those in Redis."""
        self.settle()
        marks, self.marks = self.marks, []
        self.flushed_at = time.monotonic()
        done = marks_commit(marks)
        if len(done) != len(marks):
            # Re-claimed by another worker after our lease ran out: the journal keeps our
            # marks (until they expire) so that worker does not send them again.
            log.warning("%d sent marks found their delivery re-claimed", len(marks) - len(done))
        if self.client is not None and not self.degraded and done:
            # If this fails they expire on their own; PostgreSQL already has the marks.
            with contextlib.suppress(redis.RedisError):
                self.client.unlink(*[_key(delivery_id) for delivery_id in done])
        return len(done)

    def close(self) -> None:
        """Commit what is left and give the Redis connection back."""
        try:
            self.flush()
        finally:
            self._release()
