"""One way to queue background work: by task name, after the commit, coalesced, failing
fast, and with a fallback that loses nothing.

Services never import incidents/tasks.py (it imports them, and the import cycle that made
is gone): they name the task, and this module hands the name to Celery (`send_task`), or,
with eager tasks (the tests, CANDOR_CELERY_EAGER), runs the registered task at once.

The choices a caller makes, each for a reason of its own:

- `coalesce`: one queued run serves a burst. A marker in the shared cache says one is
  queued; `until_started` markers are cleared by the task as it starts (coalesce_release),
  so a change made while it runs queues the next run; the others simply expire, and this
  process also remembers its own marker so that a storm does not ask the cache each time.
- `fallback`: what happens when the task cannot be queued. SWEEP: the work is recorded
  (an outbox row, a stored signal) and a beat sweep finds it, so a warning is enough.
  HERE: nobody would do it later, so this process runs the task itself; it does so too
  when no worker has sent a heartbeat lately (worker_heartbeat.py), since the broker
  would take the task but nobody would run it.
  `here`, if given, is how this process does the work instead of running the task inline
  (publishing hands it to a background thread, so no request waits for a render).
- `watchdog`: a worker may take the task and die. After `seconds` this process checks that
  the work was done and otherwise runs the task itself.

Failing fast: a task is published over a connection of its own that does not retry.
Celery's shared connection retries for seconds when the broker is down, and this runs in
requests (a closed broker port costs ~0.2 s here instead of 6 s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from celery import Task
from django.core.cache import cache
from django.db import connection, transaction

from incidents.worker_heartbeat import worker_alive
from statuspage.celery import app

log = logging.getLogger(__name__)

_FAIL_FAST = {"max_retries": 0}


class Fallback(StrEnum):
    SWEEP = "sweep"  # the work is recorded; a beat sweep picks it up
    HERE = "here"  # run the task in this process


class Outcome(StrEnum):
    QUEUED = "queued"
    COALESCED = "coalesced"  # a run already queued will do this work
    RAN_HERE = "ran_here"
    FAILED = "failed"  # not queued; a sweep will do the work


@dataclass(frozen=True)
class Coalesce:
    key: str
    seconds: float  # how long the marker lives
    until_started: bool = False  # the task clears the marker as it starts


@dataclass(frozen=True)
class Watchdog:
    """After `seconds`, run the task here if the work is still undone. `arm` is called
    when the task is queued and returns that check, so the check can capture what the
    queued run must achieve (the site version it must publish)."""

    seconds: float
    arm: Callable[[], Callable[[], bool]]


# When this process last queued (or saw queued) a run per expiring marker.
_queued_at: dict[str, float] = {}


def enqueue(
    name: str,
    *args: Any,
    countdown: float | None = None,
    coalesce: Coalesce | None = None,
    fallback: Fallback = Fallback.SWEEP,
    watchdog: Watchdog | None = None,
    here: Callable[[], object] | None = None,
) -> Outcome:
    """Queue the task `name` with `args`; a broker or cache failure never raises."""
    if coalesce is not None and _remembered(coalesce):
        return Outcome.COALESCED  # first: the hot path of a storm, a dict lookup
    eager = bool(app.conf.task_always_eager)
    if fallback is Fallback.HERE and not eager and not worker_alive():
        log.warning("no worker is alive; running %s in this process", name)
        return _run_here(name, args, here)
    if coalesce is not None and _coalesced(coalesce):
        return Outcome.COALESCED
    if eager:
        task_named(name).apply_async(args=args)  # runs it now, as .delay() would
        return Outcome.QUEUED
    try:
        with app.connection_for_write() as conn:
            conn.transport_options.update(_FAIL_FAST)
            app.send_task(name, args=args, countdown=countdown, connection=conn, retry=False)
    except Exception:
        if fallback is Fallback.SWEEP:
            log.warning("could not queue %s; the sweep will do its work", name, exc_info=True)
            return Outcome.FAILED
        log.warning("could not queue %s; running it in this process", name, exc_info=True)
        if coalesce is not None:
            coalesce_release(coalesce)
        return _run_here(name, args, here)
    if coalesce is not None and not coalesce.until_started:
        _queued_at[coalesce.key] = time.monotonic()
    if watchdog is not None:
        _watch(name, args, watchdog, here)
    return Outcome.QUEUED


def enqueue_on_commit(name: str, *args: Any, **options: Any) -> None:
    """enqueue() once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(name, *args, **options), robust=True)


def coalesce_release(coalesce: Coalesce) -> None:
    """The task has started: a change from here on must queue another run."""
    try:
        cache.delete(coalesce.key)
    except Exception:
        log.warning("cache unreachable; the marker %s expires by itself", coalesce.key)


def task_named(name: str) -> Task:
    """The registered task `name`; loads the task modules the first time, as a worker
    does (Celery's autodiscovery), since nothing here imports them."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def _remembered(coalesce: Coalesce) -> bool:
    """This process queued one moments ago: no need to ask the cache."""
    if coalesce.until_started:
        return False  # the task may have started since: only the cache knows
    return time.monotonic() - _queued_at.get(coalesce.key, -1e9) < coalesce.seconds


def _coalesced(coalesce: Coalesce) -> bool:
    try:
        if not cache.add(coalesce.key, 1, timeout=coalesce.seconds):
            if not coalesce.until_started:
                _queued_at[coalesce.key] = time.monotonic()
            return True
    except Exception:
        log.warning("cache unreachable; queueing %s without coalescing", coalesce.key)
    return False


def _run_here(
    name: str, args: tuple[Any, ...], here: Callable[[], object] | None = None
) -> Outcome:
    try:
        if here is not None:
            here()
        else:
            task_named(name)(*args)
    except Exception:
        log.exception("running %s in this process failed", name)
        return Outcome.FAILED
    return Outcome.RAN_HERE


def _watch(
    name: str, args: tuple[Any, ...], watchdog: Watchdog, here: Callable[[], object] | None
) -> None:
    pending = watchdog.arm()

    def check() -> None:
        try:
            if pending():
                log.warning("%s did not do its work in time; running it here", name)
                _run_here(name, args, here)
        except Exception:
            log.exception("the watchdog of %s failed", name)
        finally:
            connection.close()  # this thread's own

    timer = threading.Timer(watchdog.seconds, check)
    timer.daemon = True
    timer.start()
