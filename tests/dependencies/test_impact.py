"""Propagation as pure functions: chains, diamonds, soft edges, and never better than now."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from incidents.dependencies.impact import (
    Edge,
    downstream_impact,
    root_causes,
    worse_than_now,
)
from incidents.models import ComponentStatus, DependencyKind

MAJOR, PARTIAL = ComponentStatus.MAJOR_OUTAGE, ComponentStatus.PARTIAL_OUTAGE
DEGRADED, OK = ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.OPERATIONAL
HARD, SOFT = DependencyKind.HARD, DependencyKind.SOFT


def test_a_hard_chain_carries_the_outage_to_the_end() -> None:
    edges = [Edge(1, 2, HARD), Edge(2, 3, HARD)]
    assert downstream_impact({1: MAJOR}, edges) == {2: MAJOR, 3: MAJOR}
    assert downstream_impact({1: PARTIAL}, edges) == {2: PARTIAL, 3: PARTIAL}


def test_a_soft_edge_degrades_and_the_chain_carries_the_degradation() -> None:
    edges = [Edge(1, 2, SOFT), Edge(2, 3, HARD)]
    assert downstream_impact({1: MAJOR}, edges) == {2: DEGRADED, 3: DEGRADED}


def test_in_a_diamond_the_worst_path_wins() -> None:
    # 1 → 2 (soft) → 4 and 1 → 3 (hard) → 4: the hard path makes 4 down.
    edges = [Edge(1, 2, SOFT), Edge(2, 4, HARD), Edge(1, 3, HARD), Edge(3, 4, HARD)]
    assert downstream_impact({1: MAJOR}, edges) == {2: DEGRADED, 3: MAJOR, 4: MAJOR}


def test_maintenance_and_operational_do_not_propagate() -> None:
    edges = [Edge(1, 2, HARD)]
    assert downstream_impact({1: ComponentStatus.UNDER_MAINTENANCE}, edges) == {}
    assert downstream_impact({1: OK}, edges) == {}


def test_auto_only_follows_auto_apply_edges() -> None:
    edges = [Edge(1, 2, HARD, auto_apply=True), Edge(2, 3, HARD), Edge(1, 4, HARD, True)]
    assert downstream_impact({1: MAJOR}, edges, auto_only=True) == {2: MAJOR, 4: MAJOR}


def test_root_causes_are_the_top_of_the_down_chain() -> None:
    edges = [Edge(1, 2, HARD), Edge(2, 3, HARD), Edge(9, 3, SOFT)]
    statuses = {1: MAJOR, 2: MAJOR, 3: MAJOR, 9: OK}
    assert root_causes(3, statuses, edges) == {1}
    assert root_causes(1, statuses, edges) == {1}
    assert root_causes(3, {**statuses, 1: OK}, edges) == {2}


_STATUS = st.sampled_from(list(ComponentStatus))


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[Edge], dict[int, ComponentStatus], dict[int, str]]:
    n = draw(st.integers(2, 12))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))
    edges = [Edge(a, b, draw(st.sampled_from([HARD, SOFT]))) for a, b in pairs if a != b]
    causes = draw(st.dictionaries(st.integers(0, n - 1), _STATUS, min_size=1, max_size=3))
    current = {i: draw(_STATUS).value for i in range(n)}
    return edges, causes, current


@given(_graphs())
def test_propagation_never_proposes_a_status_better_than_current(
    case: tuple[list[Edge], dict[int, ComponentStatus], dict[int, str]],
) -> None:
    edges, causes, current = case  # cycles included: the walk must still end
    impact = downstream_impact(causes, edges)
    proposed = worse_than_now(impact, current)
    for pk, status in proposed.items():
        assert status.severity > ComponentStatus(current[pk]).severity
        assert pk not in causes
    # Never worse than the worst cause, either.
    worst = max(ComponentStatus(s).severity for s in causes.values())
    assert all(s.severity <= worst for s in impact.values())
