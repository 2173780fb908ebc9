"""The console's picture of the dependency graph: a layered layout as plain data that a
template draws as inline SVG (no script, no third-party asset).

The layout is grandalf's Sugiyama (layered) algorithm, pure Python: upstream components
above what depends on them, crossings reduced. It depends only on the edges, not on the
statuses, so it is cached per edge set: 200 components with 400 edges take ~0.7 s to lay
out here, and a page that shows statuses must not pay that each time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from incidents.models import Component, ComponentDependency, ComponentStatus
from incidents.text import printable

NODE_WIDTH, NODE_HEIGHT = 180, 46
GAP, MARGIN, MAX_ROW_WIDTH = 40, 20, 1800
NAME_CHARS = 24
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Node:
    public_id: str
    name: str
    label: str  # the name cut to fit the box; `name` goes in the tooltip
    status: str
    status_label: str
    x: float  # top-left corner
    y: float


@dataclass(frozen=True)
class Listed:
    """A component with no dependency, listed beside the picture."""

    public_id: str
    name: str
    status_label: str


@dataclass(frozen=True)
class Line:
    upstream: str
    downstream: str
    kind: str
    auto_apply: bool
    points: str  # SVG polyline points


@dataclass(frozen=True)
class Picture:
    width: float
    height: float
    nodes: list[Node]
    lines: list[Line]
    unconnected: list[Listed]


class _Box:
    """The view grandalf reads sizes from and writes positions to."""

    def __init__(self) -> None:
        self.w, self.h = NODE_WIDTH, NODE_HEIGHT
        self.xy: tuple[float, float] = (0.0, 0.0)


class _Path:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = list(points)


Layout = tuple[dict[int, tuple[float, float]], dict[tuple[int, int], list[tuple[float, float]]]]


def _layout(pairs: list[tuple[int, int]]) -> tuple[Layout, float, float]:
    """Centres of the boxes and the bends of the edges, each connected part laid out on
    its own and the parts placed in rows."""
    vertices = {pk: Vertex(pk) for pair in pairs for pk in pair}
    for vertex in vertices.values():
        vertex.view = _Box()
    edges = []
    for up, down in pairs:
        edge = GEdge(vertices[up], vertices[down])
        edge.view = _Path()
        edges.append(edge)
    centres: dict[int, tuple[float, float]] = {}
    bends: dict[tuple[int, int], list[tuple[float, float]]] = {}
    x0 = y0 = row_height = width = 0.0
    for part in Graph(list(vertices.values()), edges).C:
        sugiyama = SugiyamaLayout(part)
        sugiyama.init_all()
        sugiyama.draw()
        xs = [v.view.xy[0] for v in part.sV]
        ys = [v.view.xy[1] for v in part.sV]
        left, top = min(xs) - NODE_WIDTH / 2, min(ys) - NODE_HEIGHT / 2
        part_w = max(xs) + NODE_WIDTH / 2 - left
        part_h = max(ys) + NODE_HEIGHT / 2 - top
        if x0 and x0 + part_w > MAX_ROW_WIDTH:
            x0, y0, row_height = 0.0, y0 + row_height + GAP, 0.0

        dx, dy = MARGIN - left + x0, MARGIN - top + y0
        for v in part.sV:
            centres[v.data] = (v.view.xy[0] + dx, v.view.xy[1] + dy)
        for e in part.sE:
            bends[(e.v[0].data, e.v[1].data)] = [(x + dx, y + dy) for x, y in e.view.points]
        x0 += part_w + GAP
        row_height = max(row_height, part_h)
        width = max(width, x0 - GAP)
    return (centres, bends), width + 2 * MARGIN, y0 + row_height + 2 * MARGIN


def _cached_layout(pairs: list[tuple[int, int]]) -> tuple[Layout, float, float]:
    key = "candor:deps:layout:" + hashlib.sha256(repr(sorted(pairs)).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _layout(pairs)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _clip(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """From the edge of the upstream box to the edge of the downstream one."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    down = 1 if points[1][1] >= y0 else -1
    up = 1 if y1 >= points[-2][1] else -1
    return [(x0, y0 + down * NODE_HEIGHT / 2), *points[1:-1], (x1, y1 - up * NODE_HEIGHT / 2)]


def _label(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def _name(value: str) -> str:
    # Names were checked when saved; a row written some other way still draws (U+FFFD).
    return printable(value, multiline=False)


def graph_picture() -> Picture:
    edges = list(
        ComponentDependency.objects.select_related("upstream", "downstream").order_by("pk")
    )
    components = {c.pk: c for c in Component.objects.all()}
    pairs = [(e.upstream_id, e.downstream_id) for e in edges]
    connected = {pk for pair in pairs for pk in pair}
    unconnected = [
        Listed(c.public_id, _name(c.name), str(ComponentStatus(c.status).label))
        for pk, c in components.items()
        if pk not in connected
    ]
    if not pairs:
        return Picture(0, 0, [], [], unconnected)
    (centres, bends), width, height = _cached_layout(pairs)
    nodes = [
        Node(
            public_id=c.public_id,
            name=_name(c.name),
            label=_label(_name(c.name)),
            status=c.status,
            status_label=str(ComponentStatus(c.status).label),
            x=centres[pk][0] - NODE_WIDTH / 2,
            y=centres[pk][1] - NODE_HEIGHT / 2,
        )
        for pk, c in components.items()
        if pk in centres
    ]
    lines = [
        Line(
            upstream=_name(e.upstream.name),
            downstream=_name(e.downstream.name),
            kind=e.kind,
            auto_apply=e.auto_apply,
            points=" ".join(
                f"{x:.1f},{y:.1f}" for x, y in _clip(bends[(e.upstream_id, e.downstream_id)])
            ),
        )
        for e in edges
    ]
    return Picture(width, height, nodes, lines, unconnected)
