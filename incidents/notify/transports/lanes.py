"""How a batch's messages are handed to senders: one at a time (`InLine`), or over several
connections at once (`Lanes`).

Over the internet every SMTP message costs four round trips (MAIL, RCPT, DATA, the
message), about 80 ms at 20 ms apiece: one connection per worker would send about a dozen
messages a second. `Lanes` keeps `count` connections busy at once, each in a thread of
its own that does only the sender's network I/O; everything that touches the database,
the journal or the circuit stays in the fan-out's own thread, which hands a message to a
lane only when one is free and takes each lane's result back before it hands that lane
another (fanout._send_each).

What a killed worker may repeat grows from one message to `count`: a lane is given its
next message only after the previous one's journal mark was read back from Redis
(`ready`), so at most one message per lane can have reached its recipient unrecorded.
Each repeat carries the same Message-ID (docs/design.md, "Notifications").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from incidents.models import Delivery
from incidents.notify.render import Rendered
from incidents.notify.transports import Sender, TransportError


@dataclass(frozen=True)
class Attempt:
    """One message's end: the provider's id for it, or why it was not sent."""

    delivery: Delivery
    # time.monotonic() when the provider took the recipient (over SMTP: the RCPT's answer;
    # otherwise when the message was handed to the sender), and when the sender returned.
    # Whose fault a refusal was is judged by what the provider took after it (fanout._Run).
    started: float
    ended: float
    provider_id: str = ""
    error: TransportError | None = None
    crash: Exception | None = None  # anything else the sender raised (a bug)


class _Stamp:
    """The time a lane's sender last called `ready` (over SMTP: after RCPT, before DATA)."""

    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> None:
        self.at = time.monotonic()


def _attempt(
    sender: Sender, delivery: Delivery, rendered: Rendered, stamp: _Stamp | None = None
) -> Attempt:
    started = time.monotonic()
    try:
        provider_id = sender.send(delivery, rendered)
    except TransportError as error:
        return Attempt(delivery, started, time.monotonic(), error=error)
    except Exception as crash:  # raised in the fan-out's thread (fanout._ended)
        return Attempt(delivery, started, time.monotonic(), crash=crash)
    if stamp is not None and stamp.at > started:
        started = stamp.at
    return Attempt(delivery, started, time.monotonic(), provider_id=provider_id)


class InLine:
    """A sender used as it always was: `start` sends at once, in this thread."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.ended: list[Attempt] = []

    def start(self, delivery: Delivery, rendered: Rendered) -> None:
        self.ended.append(_attempt(self.sender, delivery, rendered))

    def finished(self) -> list[Attempt]:
        ended, self.ended = self.ended, []
        return ended

    def drain(self) -> list[Attempt]:
        return self.finished()

    def close(self) -> None:
        self.sender.close()


class Lanes:
    """`count` senders, each with its own connection, sending at the same time.

    Only while the provider takes messages: a batch starts on one lane, widens to all of
    them once a message was accepted, and narrows to one again at any failure, until a
    message handed over after that failure is accepted. A provider
    that refuses or fails is tried one message at a time, as with a single connection, so
    its circuit opens after the same failures and no more messages meet the outage.
    """

    def __init__(
        self,
        make: Callable[[Callable[[], None]], Sender],
        *,
        count: int,
        ready: Callable[[], None],
    ):
        self.make = make  # a sender, given the `ready` it is to call
        self.count = count
        # Called before a message is handed to a lane: the marks of every message that
        # ended before it are then in the journal.
        self.ready = ready
        self.idle: list[tuple[Sender, _Stamp]] = []
        self.made: list[Sender] = []
        self.running: dict[Future[Attempt], tuple[Sender, _Stamp]] = {}
        self.width = 1  # lanes in use now
        self.failed_at = 0.0  # when the latest failure came
        self.pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="email-lane")

    def start(self, delivery: Delivery, rendered: Rendered) -> None:
        """Hand the message to a free lane (`finished` waits for one)."""
        assert len(self.running) < self.width, "start() without a free lane"
        if not self.idle:
            stamp = _Stamp()
            self.made.append(self.make(stamp))  # connections are opened as they are needed
            self.idle.append((self.made[-1], stamp))
        self.ready()
        lane = self.idle.pop()
        sender, stamp = lane
        self.running[self.pool.submit(_attempt, sender, delivery, rendered, stamp)] = lane

    def finished(self) -> list[Attempt]:
        """The attempts that have ended; waits until a lane in use is free (after a failure
        narrowed the lanes, until the messages on the others have ended)."""
        ended = self._collect()
        while len(self.running) >= self.width:
            wait(self.running, return_when=FIRST_COMPLETED)
            ended += self._collect()
        return ended

    def drain(self) -> list[Attempt]:
        """Every attempt still running, once it has ended."""
        wait(self.running)
        return self._collect()

    def _collect(self) -> list[Attempt]:
        ended = [future for future in self.running if future.done()]
        attempts = []
        for future in ended:
            self.idle.append(self.running.pop(future))
            attempts.append(future.result())
        # Narrowed by a failure; widened again only by a message the provider took after
        # it (one handed over before the failure says nothing about the provider since).
        for attempt in attempts:
            if attempt.error is not None or attempt.crash is not None:
                self.width, self.failed_at = 1, max(self.failed_at, attempt.ended)
        if any(
            a.error is None and a.crash is None and a.started > self.failed_at for a in attempts
        ):
            self.width = self.count
        return attempts

    def close(self) -> None:
        # Messages still on their way finish first: a connection is never closed under one.
        self.pool.shutdown(wait=True)
        for sender in self.made:
            sender.close()


Dispatch = InLine | Lanes


def dispatch_for(sender: Sender | Lanes) -> Dispatch:
    return sender if isinstance(sender, Lanes) else InLine(sender)
