"""One publisher per target at a time, across every process and host.

A push can take a while (an object store over the network), so it is serialised with a
PostgreSQL session-level advisory lock rather than a row lock: no transaction stays open
during the network I/O, and the lock goes away with the connection if the process dies.
Where there is no PostgreSQL (SQLite, `make run` on one machine) a file lock does it.
"""

from __future__ import annotations

import fcntl
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

# The first key of the two-key advisory lock: "publish" for Candor; the second is the
# target's name, hashed.
_LOCK_CLASS = 0x43616E64  # "Cand"
_POLL_SECONDS = 0.05


class LockTimeout(Exception):
    pass


@contextmanager
def target_lock(
    name: str, *, timeout: float, waiting: Callable[[], object] | None = None
) -> Iterator[None]:
    """Hold the publish lock of target `name`, waiting at most `timeout` seconds for it;
    `waiting` is called between tries (the publisher records copies that ended meanwhile)."""
    key = zlib.crc32(name.encode()) - 2**31  # into PostgreSQL's int4 range
    if connection.vendor == "postgresql":
        with _advisory_lock(key, timeout=timeout, waiting=waiting):
            yield
    else:
        with _file_lock(key, timeout=timeout, waiting=waiting):
            yield


@contextmanager
def _advisory_lock(
    key: int, *, timeout: float, waiting: Callable[[], object] | None
) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, key])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() > deadline:
                raise LockTimeout(f"another publish held the lock for over {timeout:.0f} s")
            if waiting is not None:
                waiting()
            time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, key])
        except DatabaseError:
            pass  # the connection is gone, and the lock with it


@contextmanager
def _file_lock(key: int, *, timeout: float, waiting: Callable[[], object] | None) -> Iterator[None]:
    directory = Path(settings.VAR_DIR) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(directory / f"publish-{key & 0xFFFFFFFF:08x}.lock", "a") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(
                        f"another publish held the lock for over {timeout:.0f} s"
                    ) from None
                if waiting is not None:
                    waiting()
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
