"""Several connections at once (transports/lanes.py), with senders that take their time as
a provider across the internet does: how many messages are in flight, when the lanes
widen and narrow, and that nothing is left running or unreported."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from incidents.notify.transports import TransportError
from incidents.notify.transports.lanes import Attempt, InLine, Lanes

pytestmark = pytest.mark.embedded


class _Delivery:
    def __init__(self, pk: int) -> None:
        self.pk = pk


class _Provider:
    """Takes each message after `wait` seconds; refuses those in `refuse`. Counts how
    many messages it holds at once."""

    def __init__(self, wait: float = 0.02, refuse: set[int] | None = None) -> None:
        self.wait = wait
        self.refuse = refuse or set()
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.log: list[tuple[str, int, int]] = []  # (event, pk, messages held)
        self.closed = 0
        self.down = False

    def sender(self, ready: Callable[[], None]) -> _Sender:
        return _Sender(self, ready)


class _Sender:
    def __init__(self, provider: _Provider, ready: Callable[[], None]) -> None:
        self.provider, self.ready = provider, ready

    def send(self, delivery: Any, rendered: Any) -> str:
        p = self.provider
        with p.lock:
            p.now += 1
            p.most = max(p.most, p.now)
            p.log.append(("start", delivery.pk, p.now))
        try:
            time.sleep(p.wait)
            with p.lock:
                # Down from the first refusal on, for every message: a provider refuses
                # by the clock, not by the order messages were handed over.
                p.down = p.down or delivery.pk in p.refuse
                if p.down:
                    p.log.append(("refuse", delivery.pk, p.now))
            if p.down:
                raise TransportError(f"451 try later ({delivery.pk})")
            self.ready()  # as over SMTP: the recipient was taken
            time.sleep(p.wait)
            return f"id-{delivery.pk}"
        finally:
            with p.lock:
                p.now -= 1

    def close(self) -> None:
        self.provider.closed += 1


def _run(dispatch: Lanes | InLine, count: int) -> list[Attempt]:
    """As fanout._send_each hands messages over: take what ended, then start the next."""
    ended: list[Attempt] = []
    for pk in range(count):
        ended += dispatch.finished()
        dispatch.start(_Delivery(pk), None)  # type: ignore[arg-type]
    ended += dispatch.drain()
    dispatch.close()
    return ended


def test_four_lanes_send_four_at_once_once_the_provider_took_one() -> None:
    provider = _Provider()
    readied: list[int] = []
    lanes = Lanes(provider.sender, count=4, ready=lambda: readied.append(1))
    started = time.monotonic()
    ended = _run(lanes, 40)
    took = time.monotonic() - started

    assert sorted(a.delivery.pk for a in ended) == list(range(40))
    assert all(a.error is None and a.provider_id == f"id-{a.delivery.pk}" for a in ended)
    assert provider.most == 4
    assert provider.log[0] == ("start", 0, 1) and provider.log[1][2] == 1  # the first alone
    assert len(readied) == 40  # the journal is asked before every message
    assert provider.closed == 4  # every connection it opened is closed
    # One at a time would take 40 x 0.04 s = 1.6 s; four at once about a quarter of it.
    assert took < 1.2


def test_a_provider_that_refuses_is_tried_one_message_at_a_time() -> None:
    provider = _Provider(refuse=set(range(10, 30)))
    ended = _run(Lanes(provider.sender, count=4, ready=lambda: None), 30)

    assert {a.delivery.pk for a in ended if a.error} >= set(range(10, 30))
    assert provider.most == 4  # before the refusals
    # Messages handed over before the lanes heard of the first refusal may overlap (at
    # most the three other lanes); every one after that goes alone.
    first = next(n for n, (event, _, _) in enumerate(provider.log) if event == "refuse")
    after = [held for event, _, held in provider.log[first:] if event == "start"]
    assert after[3:] == [1] * len(after[3:]), after


def test_one_lane_is_one_message_at_a_time_and_in_order() -> None:
    provider = _Provider(wait=0.001)
    ended = _run(InLine(provider.sender(lambda: None)), 12)
    assert [a.delivery.pk for a in ended] == list(range(12))
    assert provider.most == 1 and provider.closed == 1


def test_an_attempt_is_dated_from_its_hand_over_not_from_when_its_lane_read_the_answer() -> None:
    """A lane kept waiting reads an early acceptance late. Dated by that reading, it would
    seem taken after a refusal that came later, and the fan-out would blame the refused
    recipient (fanout._Run.accepted): its start is the hand-over, before anything was sent."""
    order: list[str] = []

    class Late(_Sender):
        def send(self, delivery: Any, rendered: Any) -> str:
            if delivery.pk == 1:  # taken at once, its answer read only later
                time.sleep(0.15)
                self.ready()
                order.append("late read")
                return "id-1"
            time.sleep(0.02)
            order.append("refused")
            raise TransportError("550 no")

    provider = _Provider()
    lanes = Lanes(lambda ready: Late(provider, ready), count=2, ready=lambda: None)
    lanes.width = 2  # as once the provider took a message
    handed = time.monotonic()
    lanes.start(_Delivery(1), None)  # type: ignore[arg-type]
    lanes.start(_Delivery(2), None)  # type: ignore[arg-type]
    taken, refused = sorted(lanes.drain(), key=lambda a: a.delivery.pk)
    lanes.close()
    assert order == ["refused", "late read"]
    assert taken.error is None and refused.error is not None
    assert handed <= taken.started < refused.ended  # no evidence against the refused one


def test_a_lane_that_raises_outright_gives_back_what_the_others_sent() -> None:
    class Interrupted(BaseException):
        pass

    class Sometimes(_Sender):
        def send(self, delivery: Any, rendered: Any) -> str:
            if delivery.pk == 2:
                time.sleep(0.05)  # ends after the other
                raise Interrupted
            return "id-1"

    provider = _Provider()
    lanes = Lanes(lambda ready: Sometimes(provider, ready), count=2, ready=lambda: None)
    lanes.width = 2
    lanes.start(_Delivery(1), None)  # type: ignore[arg-type]
    lanes.start(_Delivery(2), None)  # type: ignore[arg-type]
    time.sleep(0.1)  # both ended: the next collection takes them together
    with pytest.raises(Interrupted):
        lanes.drain()
    # fanout._send_batch drains again to journal what the provider took.
    assert [a.delivery.pk for a in lanes.drain()] == [1]
    lanes.close()
    assert provider.closed == 2


def test_an_unexpected_error_in_a_lane_is_handed_to_the_fan_out_and_close_still_waits() -> None:
    class Broken(_Sender):
        def send(self, delivery: Any, rendered: Any) -> str:
            time.sleep(0.01)
            raise RuntimeError("a bug in a sender")

    provider = _Provider()
    lanes = Lanes(lambda ready: Broken(provider, ready), count=2, ready=lambda: None)
    lanes.start(_Delivery(1), None)  # type: ignore[arg-type]
    (attempt,) = lanes.drain()  # fanout._ended raises it, after journaling the others
    assert isinstance(attempt.crash, RuntimeError) and attempt.error is None
    assert lanes.width == 1  # a failure like any other
    lanes.close()
    assert provider.closed == 1
