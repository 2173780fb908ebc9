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

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from queue import SimpleQueue

from incidents.models import Delivery
from incidents.notify.render import Rendered
from incidents.notify.transports import Sender, TransportError


@dataclass(frozen=True)
class Attempt:
    """One message's end: the provider's id for it, or why it was not sent."""

    delivery: Delivery
    # time.monotonic() just before the sender was given the message, and when it returned.
    # Whose fault a refusal was is judged by what the provider took after it (fanout._Run):
    # a message started after a refusal ended was surely taken after the refusal came. (Not
    # the time the lane read the RCPT's answer: a lane the scheduler kept waiting reads an
    # early answer late, and would date the provider's acceptance after a refusal it
    # preceded: tests/notify/test_refusals.py caught that on a loaded machine.)
    started: float
    ended: float
    provider_id: str = ""
    error: TransportError | None = None
    crash: Exception | None = None  # anything else the sender raised (a bug)


def _attempt(sender: Sender, delivery: Delivery, rendered: Rendered) -> Attempt:
    started = time.monotonic()
    try:
        provider_id = sender.send(delivery, rendered)
    except TransportError as error:
        return Attempt(delivery, started, time.monotonic(), error=error)
    except Exception as crash:  # raised in the fan-out's thread (fanout._ended)
        return Attempt(delivery, started, time.monotonic(), crash=crash)
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


def _nothing() -> None:
    pass


class _Lane:
    """One connection's sender and the thread that sends over it, one message at a time.

    A thread of its own with an inbox, rather than a thread pool's futures: handing a
    message over and taking its end back are then a queue's put and get, which cost a
    fraction of a future's locks and conditions (bench/README.md, "Fan-out")."""

    def __init__(self, sender: Sender, ended: SimpleQueue[_Ended]) -> None:
        self.sender, self.ended = sender, ended
        self.inbox: SimpleQueue[tuple[Delivery, Rendered] | None] = SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="email-lane", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (work := self.inbox.get()) is not None:
            try:
                attempt: Attempt | BaseException = _attempt(self.sender, *work)
            except BaseException as exc:  # handed over: raised in the fan-out's thread
                attempt = exc
            self.ended.put((self, attempt))


_Ended = tuple[_Lane, "Attempt | BaseException"]


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
        self.idle: list[_Lane] = []
        self.made: list[_Lane] = []
        self.ended: SimpleQueue[_Ended] = SimpleQueue()
        self.running = 0  # messages handed to a lane whose end was not taken back
        self.left: list[Attempt] = []  # ends taken back when a lane raised: the next call's
        self.width = 1  # lanes in use now
        self.failed_at = 0.0  # when the latest failure came

    def start(self, delivery: Delivery, rendered: Rendered) -> None:
        """Hand the message to a free lane (`finished` waits for one)."""
        assert self.running < self.width, "start() without a free lane"
        if not self.idle:
            # Connections (and their threads) are opened as they are needed. A lane's
            # sender has nothing to wait for before DATA: `ready` ran before the hand-over.
            self.made.append(_Lane(self.make(_nothing), self.ended))
            self.idle.append(self.made[-1])
        self.ready()
        self.running += 1
        self.idle.pop().inbox.put((delivery, rendered))

    def finished(self) -> list[Attempt]:
        """The attempts that have ended; waits until a lane in use is free (after a failure
        narrowed the lanes, until the messages on the others have ended)."""
        ended = self._collect(block=False)
        while self.running >= self.width:
            ended += self._collect(block=True)
        return ended

    def drain(self) -> list[Attempt]:
        """Every attempt still running, once it has ended."""
        ended = self._collect(block=False)
        while self.running:
            ended += self._collect(block=True)
        return ended

    def _collect(self, *, block: bool) -> list[Attempt]:
        """The ends waiting in the queue; with `block`, at least one (waiting for it)."""
        attempts: list[Attempt] = []
        crash: BaseException | None = None
        while self.running and (block or not self.ended.empty()):
            lane, attempt = self.ended.get()
            block = False
            self.running -= 1
            self.idle.append(lane)
            if isinstance(attempt, BaseException):
                crash = attempt  # raised once every end before it is counted
                continue
            attempts.append(attempt)
        # Narrowed by a failure; widened again only by a message the provider took after
        # it (one handed over before the failure says nothing about the provider since).
        for attempt in attempts:
            if attempt.error is not None or attempt.crash is not None:
                self.width, self.failed_at = 1, max(self.failed_at, attempt.ended)
        if any(
            a.error is None and a.crash is None and a.started > self.failed_at for a in attempts
        ):
            self.width = self.count
        if crash is not None:
            # What ended beside it is returned by the next call (the fan-out's drain then
            # journals what the provider took before the batch broke off).
            self.left += attempts
            raise crash
        attempts, self.left = self.left + attempts, []
        return attempts

    def close(self) -> None:
        # Messages still on their way finish first: a connection is never closed under one.
        for lane in self.made:
            lane.inbox.put(None)
        for lane in self.made:
            lane.thread.join()
        for lane in self.made:
            lane.sender.close()


Dispatch = InLine | Lanes


def dispatch_for(sender: Sender | Lanes) -> Dispatch:
    return sender if isinstance(sender, Lanes) else InLine(sender)
