"""What a component's signals say, after hysteresis and flap suppression: pure functions.

Each signal, from its stored transition history and the time passed in, has an effect:
RAISE (it has fired long or often enough to count), HOLD (undecided: firing but not yet
held, resolved but not yet quiet for long enough, or flapping), or CLEAR. A component
rises at once to the worst raised status; it falls (recovers) only when nothing holds it.
So a flapping alert never toggles the page, and recovery waits for its quiet period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from incidents.models import ComponentStatus, worst_status

FIRING = "firing"


@dataclass(frozen=True)
class Policy:
    hold: timedelta
    hold_count: int
    recover: timedelta
    flap_changes: int
    flap_window: timedelta


@dataclass(frozen=True)
class SignalView:
    status: str  # firing or resolved
    component_status: str  # what it means for the component when it counts
    transitions: tuple[tuple[datetime, str], ...]  # (when received, new status), oldest first
    received_count: int  # receipts since the last transition
    policy: Policy


class Effect(Enum):
    RAISE = "raise"
    HOLD = "hold"
    CLEAR = "clear"


def is_flapping(signal: SignalView, *, now: datetime) -> bool:
    recent = [at for at, _ in signal.transitions if now - at <= signal.policy.flap_window]
    return len(recent) >= signal.policy.flap_changes


def effect(signal: SignalView, *, now: datetime) -> Effect:
    if is_flapping(signal, now=now):
        return Effect.HOLD
    since = signal.transitions[-1][0] if signal.transitions else now
    if signal.status == FIRING:
        if signal.component_status == ComponentStatus.OPERATIONAL:
            return Effect.CLEAR  # informational: recorded, never degrades anything
        held = (
            now - since >= signal.policy.hold or signal.received_count >= signal.policy.hold_count
        )
        return Effect.RAISE if held else Effect.HOLD
    return Effect.CLEAR if now - since >= signal.policy.recover else Effect.HOLD


def component_target(
    signals: Sequence[SignalView], *, current: str, now: datetime
) -> ComponentStatus:
    """The status a component's signals put it in, given the one they put it in before."""
    effects = [(s, effect(s, now=now)) for s in signals]
    raised = worst_status([s.component_status for s, e in effects if e is Effect.RAISE])
    if raised.severity > ComponentStatus(current).severity:
        return raised
    if any(e is Effect.HOLD for _, e in effects):
        return ComponentStatus(current)
    return raised
