"""kombu's SQLAlchemy transport, with the first use of a queue safe across processes.

kombu creates a queue's row on first use and only survives an OperationalError there: when
two processes (the web workers and the Celery worker of `make run`) first publish to a
fresh broker file at once, the loser's INSERT fails on the unique name and its publish
raised IntegrityError. Here the loser reads the winner's row instead.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy
from sqlalchemy.exc import IntegrityError


class Channel(sqlalchemy.Channel):
    def _get_or_create(self, queue: str) -> Any:
        try:
            return super()._get_or_create(queue)
        except IntegrityError:
            self.session.rollback()  # another process created it between our look and insert
            return super()._get_or_create(queue)


class Transport(sqlalchemy.Transport):
    Channel = Channel
