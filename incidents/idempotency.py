"""Doing a write once, however many times it is asked for.

A script retrying a POST after a timeout, a double click, a reload that sends a form
again: each repeat carries the key of its first attempt (the staff API's Idempotency-Key
header, the console form's submission_key), and `write_once` lets only one of them write.

The contract:

- The key is claimed by inserting an IdempotencyKey row *in the transaction of the
  write*, before the write runs, and the answer is stored in the same row before the
  commit. Row and write commit together or not at all, so nobody ever sees a claimed key
  without its answer, and a write that fails (an exception, such as a refusal from
  lifecycle, or an answer `keep` declines, such as a form shown again with its errors)
  leaves the key unused: the same key may be sent again with corrected input.
- The unique constraint on (user, key) serialises concurrent duplicates: the second
  insert waits for the first transaction. If that commits, the duplicate answers what it
  stored; if it rolls back, the duplicate goes ahead and writes. On PostgreSQL the wait
  is bounded by CLAIM_WAIT; past it the duplicate raises KeyInProgress (the API's 409).
- A key that comes back with the same fingerprint (method, path, canonical body) gets a
  Replay of the stored status and body; with another fingerprint, KeyReused (the API's
  422), and nothing is written.
- Keys belong to a user; they are kept at least KEY_LIFETIME, then pruned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from incidents.models import IdempotencyKey

MAX_KEY_LENGTH = 100
KEY_LIFETIME = timedelta(hours=24)
# How long a duplicate waits for the first request with its key to finish. Writes take
# milliseconds; a longer wait would only tie up a web worker behind a stuck one.
CLAIM_WAIT = timedelta(seconds=2)

_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires

T = TypeVar("T")


@dataclass(frozen=True)
class Recorded:
    """A finished write's answer, as it is stored and replayed: status and JSON body."""

    status_code: int
    body: Any


class Replay(Recorded):
    """The stored answer of an earlier request with the same key and fingerprint."""


class IdempotencyError(Exception):
    pass


class KeyInProgress(IdempotencyError):
    """Another request with this key has not finished (within CLAIM_WAIT)."""


class KeyReused(IdempotencyError):
    """This key was used for a different request; `original` is what that one answered."""

    def __init__(self, original: Replay) -> None:
        super().__init__("key already used for a different request")
        self.original = original


class _Taken(Exception):
    """The claim lost to a committed row with the same key."""


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a key, as the end of a sentence; None when it can."""
    if 1 <= len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key):
        return None
    return f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"


def fingerprint(*, method: str, path: str, body: Any) -> str:
    """sha256 of the request as a canonical JSON document: key order and spacing aside,
    the same method, path and body give the same fingerprint."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def write_once(
    *,
    user_id: int,
    key: str,
    fingerprint: str,
    write: Callable[[], T],
    keep: Callable[[T], Recorded | None],
) -> T | Replay:
    """Run `write` once for this user and key; a repeat gets the first one's Replay.

    `keep` turns what `write` returned into the answer to store, or None when it is not a
    success: then the write's transaction rolls back with the claim and `write`'s result
    is returned as is. Raises KeyInProgress or KeyReused as the module docstring says.
    """
    if (done := _recorded(user_id, key, fingerprint)) is not None:
        return done
    try:
        with transaction.atomic():
            claim = _claim(user_id, key, fingerprint)
            result = write()
            answer = keep(result)
            if answer is None:
                transaction.set_rollback(True)
            else:
                claim.status_code = answer.status_code
                claim.response = answer.body
                claim.save(update_fields=["status_code", "response"])
    except _Taken:
        # The request holding the key committed while this one waited for it.
        if (done := _recorded(user_id, key, fingerprint)) is None:
            raise KeyInProgress from None  # pruned meanwhile: not worth a retry loop
        return done
    return result


def idempotency_keys_prune(*, now: datetime | None = None) -> int:
    """Forget keys older than KEY_LIFETIME (the beat task); returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - KEY_LIFETIME).delete()
    return deleted


def _recorded(user_id: int, key: str, fingerprint: str) -> Replay | None:
    row = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if row is None:
        return None
    if row.status_code is None:
        # Only visible inside the transaction that claimed it, i.e. a nested repeat.
        raise KeyInProgress
    replay = Replay(status_code=row.status_code, body=row.response)
    if row.fingerprint != fingerprint:
        raise KeyReused(replay)
    return replay


def _claim(user_id: int, key: str, fingerprint: str) -> IdempotencyKey:
    try:
        with _lock_wait(CLAIM_WAIT):
            return IdempotencyKey.objects.create(user_id=user_id, key=key, fingerprint=fingerprint)
    except IntegrityError:
        raise _Taken from None
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise KeyInProgress from None
        raise


@contextmanager
def _lock_wait(limit: timedelta) -> Iterator[None]:
    """Bound how long the statements inside wait for a lock, on PostgreSQL.

    Elsewhere (SQLite, the no-server default) writers queue for the database as a whole,
    and its busy timeout applies. The setting is transaction-local and put back after the
    claim, so the write itself waits for its locks as it always did; on an error the
    transaction rolls back, and the setting with it.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)",
            [f"{limit // timedelta(milliseconds=1)}ms"],
        )
        yield
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
