"""One writer at a time over the dependency graph, or over impact proposals.

A cycle can be made by two edits that each look fine alone (A→B and B→A at once), so
the check and the insert hold a lock that every edit takes: a PostgreSQL advisory lock
for the transaction. SQLite (`make run`) has one writer at a time already; an empty UPDATE
takes its write lock at once, so the check reads what the last writer committed.
"""

from __future__ import annotations

from django.db import connection

from incidents.models import ComponentDependency

_LOCK_CLASS = 0x43616E64  # "Cand", as publish/locks.py
GRAPH = 0x47524150  # "GRAP"
IMPACT = 0x494D5041  # "IMPA"


def transaction_lock(key: int) -> None:
    """Hold `key` until the current transaction ends (call inside transaction.atomic)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, key])
    else:
        ComponentDependency.objects.filter(pk=-1).update(auto_apply=False)
