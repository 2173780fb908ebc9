"""The broker of the no-server default (`make run`): kombu's SQLAlchemy transport on a
SQLite file of its own, beside the site's database.

It replaced kombu's filesystem transport, whose reader can move and parse a message file
that a writer has created but not yet written (a JSONDecodeError that killed the demo's
worker after ~13 minutes). A SQLite row is inserted in one transaction: a reader sees all
of a message or none of it. docs/design.md, "The embedded broker", has the measurements.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from kombu.transport import TRANSPORT_ALIASES

FILENAME = "broker.sqlite3"
# kombu's transport with a race-safe first use of a queue (broker_transport.py).
TRANSPORT = "candor-sqla"
TRANSPORT_ALIASES[TRANSPORT] = "statuspage.broker_transport:Transport"


def embedded_broker(var_dir: Path) -> tuple[str, dict[str, object]]:
    """The Celery broker URL and transport options for a broker file under `var_dir`."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / FILENAME
    _wal_ensure(path)
    # Passed to sqlalchemy.create_engine: a writer waits up to 30 s for another's lock
    # instead of failing at once with "database is locked".
    return f"{TRANSPORT}+sqlite:///{path}", {"connect_args": {"timeout": 30}}


def _wal_ensure(path: Path) -> None:
    """WAL: the web processes' inserts and the worker's claims wait on each other less.
    The setting is kept in the file, so once is enough; switching needs the file to
    itself, so processes starting together (web workers and the worker) wait their turn,
    and a busy answer is tried again rather than ending the process."""
    for attempt in range(1, 6):
        try:
            with sqlite3.connect(path, timeout=30) as db:
                if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 5:
                raise
            time.sleep(0.1 * attempt)


def prune_delivered(var_dir: Path) -> int:
    """Deletes the messages the worker has taken. kombu's transport only marks them
    invisible, so without this the file grows by every sweep the beat ever sent. A
    message taken but unacknowledged is safe: a worker restores those from memory."""
    path = var_dir / FILENAME
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return db.execute("DELETE FROM kombu_message WHERE visible = 0").rowcount
        except sqlite3.OperationalError:  # no table yet: nothing was ever sent
            return 0
