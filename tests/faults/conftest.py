"""Every fault test starts a whole stack of its own (a PostgreSQL cluster, Redis, granian,
a worker) and stops and restarts parts of it: more than the default per-test timeout
(pyproject.toml) allows on a loaded machine."""

from __future__ import annotations

import pytest

FAULT_TEST_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in item.nodeid and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(FAULT_TEST_TIMEOUT))
