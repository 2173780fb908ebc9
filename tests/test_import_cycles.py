"""No module of `incidents` imports itself in a circle, through any number of others.

The acyclic_siblings contract (pyproject.toml) keeps each package acyclic inside; between
the top-level packages a cycle can be by design (split packages), so this checks the
modules themselves, as grimp (import-linter's graph) sees every import, lazy ones too.
"""

from __future__ import annotations

import grimp


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's, iterative)."""
    modules = sorted(m for m in graph.modules if not m.startswith(f"{package}.migrations"))
    edges = {
        m: sorted(set(graph.find_modules_directly_imported_by(m)) & set(modules)) for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(edges[node]):
                work.append((node, child + 1))
                nxt = edges[node][child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_module_of_incidents_is_in_an_import_cycle() -> None:
    assert import_cycles(grimp.build_graph("incidents"), "incidents") == []


def test_the_check_finds_a_cycle() -> None:
    """The oracle: the cycle through tasks.py the architecture step removed."""
    graph = grimp.ImportGraph()
    for name in ["p", "p.tasks", "p.outbox", "p.fanout", "p.models"]:
        graph.add_module(name)
    graph.add_import(importer="p.tasks", imported="p.outbox")
    graph.add_import(importer="p.outbox", imported="p.fanout")
    graph.add_import(importer="p.fanout", imported="p.tasks")
    graph.add_import(importer="p.fanout", imported="p.models")
    assert import_cycles(graph, "p") == [["p.fanout", "p.outbox", "p.tasks"]]
