"""Properties of the parsers and of hysteresis, over generated input (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.ingest import formats, hysteresis
from incidents.ingest.formats import FormatError
from incidents.models import ComponentStatus

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
alert_like = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["firing", "resolved", "x"]) | json_values,
        "labels": st.dictionaries(st.text(max_size=10), st.text(max_size=10)) | json_values,
        "annotations": st.dictionaries(st.text(max_size=10), st.text(max_size=10)) | json_values,
        "startsAt": st.sampled_from(["2026-11-23T18:00:00Z", "0001-01-01T00:00:00Z", "soon"])
        | json_values,
        "endsAt": st.sampled_from(["0001-01-01T00:00:00Z", "2026-11-23T18:30:00+01:00"])
        | json_values,
        "fingerprint": st.text(max_size=20) | json_values,
    },
)
documents = json_values | st.fixed_dictionaries(
    {},
    optional={
        "version": st.sampled_from(["4", "1"]) | json_values,
        "alerts": st.lists(alert_like, max_size=3) | json_values,
        "signals": st.lists(
            st.dictionaries(
                st.sampled_from(
                    ["fingerprint", "status", "name", "labels", "starts_at", "severity", "x"]
                ),
                json_values | st.sampled_from(["firing", "resolved", "2026-11-23T18:00:00Z"]),
            ),
            max_size=3,
        )
        | json_values,
        "component": json_values | st.just("API"),
        "status": json_values | st.sampled_from(["major_outage", "operational", "firing"]),
        "summary": json_values,
    },
)


@settings(max_examples=400, deadline=None)
@given(document=documents, format=st.sampled_from(sorted(formats.PARSERS)))
def test_parsers_raise_only_their_own_validation_error(document: Any, format: str) -> None:
    try:
        signals = formats.parse(format, document, now=NOW)
    except FormatError as error:
        assert error.field and error.message
    else:
        for signal in signals:
            assert signal.status in ("firing", "resolved")
            assert signal.fingerprint and len(signal.fingerprint) <= 128
            for at in (signal.starts_at, signal.ends_at):
                assert at is None or datetime(2000, 1, 1, tzinfo=UTC) <= at <= NOW + timedelta(
                    days=7
                )


POLICY = hysteresis.Policy(
    hold=timedelta(seconds=60),
    hold_count=3,
    recover=timedelta(seconds=300),
    flap_changes=4,
    flap_window=timedelta(seconds=600),
)
statuses = st.sampled_from(
    [
        ComponentStatus.DEGRADED_PERFORMANCE,
        ComponentStatus.PARTIAL_OUTAGE,
        ComponentStatus.MAJOR_OUTAGE,
    ]
)


@st.composite
def flapping_signals(draw: Any) -> hysteresis.SignalView:
    """A signal with at least flap_changes transitions inside the window."""
    gaps = draw(st.lists(st.integers(1, 120), min_size=POLICY.flap_changes, max_size=12))
    first = draw(st.sampled_from(["firing", "resolved"]))
    at, state, transitions = NOW, first, []
    for gap in reversed(gaps):
        transitions.append((at, state))
        at -= timedelta(seconds=gap)
        state = "resolved" if state == "firing" else "firing"
    transitions.reverse()
    recent = [t for t, _ in transitions if NOW - t <= POLICY.flap_window]
    if len(recent) < POLICY.flap_changes:
        transitions = [(NOW - timedelta(seconds=i), s) for i, (_, s) in enumerate(transitions)][
            ::-1
        ]
    return hysteresis.SignalView(
        status=transitions[-1][1],
        component_status=draw(statuses),
        transitions=tuple(transitions),
        received_count=draw(st.integers(1, 50)),
        policy=POLICY,
    )


@given(
    signals=st.lists(flapping_signals(), min_size=1, max_size=5),
    current=st.sampled_from([s for s in ComponentStatus if s != ComponentStatus.UNDER_MAINTENANCE]),
)
def test_flapping_signals_never_change_a_component(
    signals: list[hysteresis.SignalView], current: ComponentStatus
) -> None:
    assert all(hysteresis.is_flapping(s, now=NOW) for s in signals)
    assert hysteresis.component_target(signals, current=current, now=NOW) == current


@given(
    status=statuses,
    age=st.integers(0, 3600),
    count=st.integers(1, 10),
    current=st.sampled_from([s for s in ComponentStatus if s != ComponentStatus.UNDER_MAINTENANCE]),
)
def test_a_held_firing_signal_raises_and_an_unheld_one_never_lowers(
    status: ComponentStatus, age: int, count: int, current: ComponentStatus
) -> None:
    signal = hysteresis.SignalView(
        status="firing",
        component_status=status,
        transitions=((NOW - timedelta(seconds=age), "firing"),),
        received_count=count,
        policy=POLICY,
    )
    target = hysteresis.component_target([signal], current=current, now=NOW)
    held = age >= 60 or count >= 3
    if held:
        assert target.severity >= status.severity
    else:
        assert target == current


@given(quiet=st.integers(0, 3600), current=statuses)
def test_recovery_waits_for_the_quiet_period(quiet: int, current: ComponentStatus) -> None:
    signal = hysteresis.SignalView(
        status="resolved",
        component_status=current,
        transitions=(
            (NOW - timedelta(hours=3), "firing"),
            (NOW - timedelta(seconds=quiet), "resolved"),
        ),
        received_count=1,
        policy=POLICY,
    )
    target = hysteresis.component_target([signal], current=current, now=NOW)
    assert target == (ComponentStatus.OPERATIONAL if quiet >= 300 else current)
