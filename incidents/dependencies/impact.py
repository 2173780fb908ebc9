"""Impact propagation, as pure functions over the graph: no database, no clock.

Along an edge, an upstream status has this effect downstream:
  hard: the same status (degraded, partial or major outage);
  soft: degraded performance, whatever the outage upstream;
and nothing for operational or under maintenance (planned work is announced separately).
Through chains the effect carries on from the status it gave; where paths meet (a diamond)
the worst wins. The walk ends even on a cycle: a component is revisited only when its
status gets strictly worse, and there are five statuses.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from incidents.models import ComponentStatus, DependencyKind

DOWN = ComponentStatus.DEGRADED_PERFORMANCE.severity  # from here on a status propagates


@dataclass(frozen=True)
class Edge:
    upstream: int
    downstream: int
    kind: str
    auto_apply: bool = False


def is_down(status: str) -> bool:
    return ComponentStatus(status).severity >= DOWN


def edge_effect(status: str, kind: str) -> ComponentStatus | None:
    """What `status` upstream does downstream through an edge of `kind`."""
    if not is_down(status):
        return None
    if kind == DependencyKind.HARD:
        return ComponentStatus(status)
    return ComponentStatus.DEGRADED_PERFORMANCE


def downstream_impact(
    causes: Mapping[int, str], edges: Iterable[Edge], *, auto_only: bool = False
) -> dict[int, ComponentStatus]:
    """{component id: worst status the causes put on it}, the causes themselves left out;
    `auto_only` follows only the edges an Admin marked auto-apply."""
    children: dict[int, list[Edge]] = defaultdict(list)
    for edge in edges:
        if edge.auto_apply or not auto_only:
            children[edge.upstream].append(edge)
    impact: dict[int, ComponentStatus] = {}
    queue = deque((pk, ComponentStatus(status)) for pk, status in causes.items())
    while queue:
        node, status = queue.popleft()
        for edge in children[node]:
            effect = edge_effect(status, edge.kind)
            if effect is None or edge.downstream in causes:
                continue
            known = impact.get(edge.downstream)
            if known is None or effect.severity > known.severity:
                impact[edge.downstream] = effect
                queue.append((edge.downstream, effect))
    return impact


def worse_than_now(
    impact: Mapping[int, ComponentStatus], current: Mapping[int, str]
) -> dict[int, ComponentStatus]:
    """Only what would make a component worse than it is: a proposal never offers a
    status as good as, or better than, the one stored."""
    return {
        pk: status
        for pk, status in impact.items()
        if status.severity > ComponentStatus(current.get(pk, ComponentStatus.OPERATIONAL)).severity
    }


def root_causes(component: int, statuses: Mapping[int, str], edges: Iterable[Edge]) -> set[int]:
    """The components at the top of the chains of down components that lead to
    `component`: itself when none of its upstreams is down."""
    parents: dict[int, list[int]] = defaultdict(list)
    for edge in edges:
        parents[edge.downstream].append(edge.upstream)

    def down_parents(pk: int) -> list[int]:
        return [p for p in parents[pk] if is_down(statuses.get(p, ComponentStatus.OPERATIONAL))]

    roots: set[int] = set()
    seen = {component}
    queue = deque([component])
    while queue:
        node = queue.popleft()
        above = down_parents(node)
        if not above:
            roots.add(node)
        for parent in above:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    if not roots:  # every down ancestor is on a cycle of down components: none is "first"
        roots = {component}
    return roots
