"""Dependency graph: the console's layout and the impact walk on 200 components.

    .venv/bin/python bench/dependencies.py            # --components 200 --edges 400 --rounds 5

No database: both are pure functions of the edges. In interleaved rounds (order
alternating) it times
  A. the layout the console uses (picture._layout: grandalf's Sugiyama per connected part),
  B. the cheapest honest reference: longest-path layering with boxes placed in the order
     they come, no crossing reduction (what one would write by hand in twenty lines),
and counts the edge crossings of each picture (the point of paying for A). It also times
`impact.downstream_impact` from every component in turn (what one status change costs the
propagation task, before its queries).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

import django  # noqa: E402

django.setup()

from incidents.dependencies import picture  # noqa: E402
from incidents.dependencies.impact import Edge, downstream_impact  # noqa: E402

Point = tuple[float, float]


def random_dag(n: int, m: int, seed: int) -> list[tuple[int, int]]:
    """m distinct edges from a lower to a higher number: acyclic, as the service keeps it."""
    rng = random.Random(seed)
    edges: set[tuple[int, int]] = set()
    while len(edges) < m:
        a, b = sorted(rng.sample(range(n), 2))
        edges.add((a, b))
    return sorted(edges)


def naive_layout(pairs: list[tuple[int, int]]) -> dict[int, Point]:
    parents: dict[int, list[int]] = defaultdict(list)
    nodes = sorted({p for pair in pairs for p in pair})
    for up, down in pairs:
        parents[down].append(up)
    rank: dict[int, int] = {}
    for node in nodes:  # numbered in topological order by construction
        rank[node] = 1 + max((rank[p] for p in parents[node]), default=-1)
    column: dict[int, int] = defaultdict(int)
    xy = {}
    for node in nodes:
        xy[node] = (column[rank[node]] * 220.0, rank[node] * 90.0)
        column[rank[node]] += 1
    return xy


def _cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def orient(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    if len({a, b, c, d}) < 4:
        return False  # edges meeting at a box are not crossings
    return (orient(a, b, c) * orient(a, b, d) < 0) and (orient(c, d, a) * orient(c, d, b) < 0)


def crossings(segments: list[list[Point]]) -> int:
    flat = [(s[i], s[i + 1], k) for k, s in enumerate(segments) for i in range(len(s) - 1)]
    count = 0
    for i, (a, b, k) in enumerate(flat):
        for c, d, j in flat[i + 1 :]:
            if j != k and _cross(a, b, c, d):
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=200)
    parser.add_argument("--edges", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pairs = random_dag(args.components, args.edges, seed=18)
    times: dict[str, list[float]] = {"grandalf": [], "naive": []}
    quality: dict[str, int] = {}
    for round_ in range(args.rounds):
        order = ["grandalf", "naive"] if round_ % 2 == 0 else ["naive", "grandalf"]
        for name in order:
            started = time.perf_counter()
            if name == "grandalf":
                (_, bends), _, _ = picture._layout(pairs)
                segments = list(bends.values())
            else:
                xy = naive_layout(pairs)
                segments = [[xy[a], xy[b]] for a, b in pairs]
            times[name].append((time.perf_counter() - started) * 1000)
            quality[name] = crossings(segments)
    edges = [Edge(a, b, "hard" if (a + b) % 3 else "soft") for a, b in pairs]
    walks = []
    for node in range(args.components):
        started = time.perf_counter()
        downstream_impact({node: "major_outage"}, edges)
        walks.append((time.perf_counter() - started) * 1000)
    print(f"{args.components} components, {args.edges} edges, {args.rounds} interleaved rounds")
    print("| layout | median ms | min-max ms | edge crossings |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.1f} | {min(values):.1f}-{max(values):.1f}"
            f" | {quality[name]} |"
        )
    print(
        f"impact walk from each of {args.components} components: median "
        f"{statistics.median(walks):.3f} ms, min-max {min(walks):.3f}-{max(walks):.3f} ms"
    )


if __name__ == "__main__":
    main()
