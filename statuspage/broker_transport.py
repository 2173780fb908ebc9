"""kombu's SQLAlchemy transport, with the first use of a broker file safe across processes.

When several processes (the web workers and the Celery worker of `make run`) first touch a
fresh broker file at once, kombu races twice:
- each process creates the tables (check, then CREATE): the loser's CREATE fails with
  "table ... already exists". kombu treats that OperationalError as a lost connection, and
  its retry then publishes on the closed channel (AttributeError), so the message was lost.
  Here the loser tries again and finds the tables.
- each creates the queue's row on first use: the loser's INSERT fails on the unique name
  (IntegrityError). Here the loser reads the winner's row instead.
"""

from __future__ import annotations

import time
from typing import Any

from kombu.transport import sqlalchemy
from sqlalchemy.exc import IntegrityError, OperationalError

SCHEMA_ATTEMPTS = 5


class Channel(sqlalchemy.Channel):
    def _open(self) -> Any:
        for attempt in range(1, SCHEMA_ATTEMPTS + 1):
            try:
                return super()._open()
            except OperationalError as exc:
                if "already exists" not in str(exc) or attempt == SCHEMA_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)  # the other process is creating the next table
        raise AssertionError("unreachable")

    def _get_or_create(self, queue: str) -> Any:
        try:
            return super()._get_or_create(queue)
        except IntegrityError:
            self.session.rollback()  # another process created it between our look and insert
            return super()._get_or_create(queue)


class Transport(sqlalchemy.Transport):
    Channel = Channel
