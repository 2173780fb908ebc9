"""Every fault test starts a whole stack of its own (a PostgreSQL cluster, Redis, granian,
a worker) and stops and restarts parts of it: more than the default per-test timeout
(pyproject.toml) allows on a loaded machine.

Under pytest-xdist (`make test` runs two workers) they all run on one worker, one after
another (XDIST_SERIAL_PREFIXES, tests/conftest.py): a module's stack is module-scoped, and
tests sharing it run in order; and two stacks at once on a 2-core machine would starve
each other's timed waits."""

from __future__ import annotations

import pytest

FAULT_TEST_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in item.nodeid and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(FAULT_TEST_TIMEOUT))
