"""Publishing off the request: one thread per process, coalescing every request it gets.

When the web process has to publish itself (no worker heartbeat, the broker refusing the
task, the watchdog), rendering the whole site inside a staff request made that request
take seconds with a long history. `publish_soon()` returns at once: a daemon thread
publishes, and a request made while it runs sets `again`, so the thread publishes once
more afterwards (a change committed during a render is never left out) however many
requests came. Across processes the targets' advisory locks (locks.py) and their refusal
of older versions keep concurrent publishes correct. Should the process die mid-publish,
the freshness check (freshness.py) requests a publish within a minute, as before.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable

from django.db import connection

from incidents.enqueue import task_named

log = logging.getLogger(__name__)


class _Publisher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._idle = threading.Event()
        self._idle.set()

    def request(self, publish: Callable[[], object]) -> None:
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running, self._again = True, False
            self._idle.clear()
        thread = threading.Thread(
            target=self._run, args=(publish,), name="candor-publish", daemon=True
        )
        thread.start()

    def _run(self, publish: Callable[[], object]) -> None:
        try:
            while True:
                try:
                    publish()
                except Exception:
                    log.exception(
                        "publishing in the background failed; the freshness check retries"
                    )
                with self._lock:
                    if not self._again:
                        self._running = False
                        self._idle.set()
                        return
                    self._again = False
        finally:
            connection.close()  # this thread's own connection

    def wait(self, timeout: float) -> bool:
        """Whether the thread finished within `timeout` seconds (for tests, shutdown)."""
        return self._idle.wait(timeout)


_publisher = _Publisher()
PUBLISH_TASK = "incidents.tasks.publish_site"


def _publish_task() -> object:
    # The worker's own task, run in this thread (by name: services never import tasks).
    return task_named(PUBLISH_TASK)()


def publish_soon() -> None:
    """Publish in this process's background thread; returns at once, never raises."""
    try:
        _publisher.request(_publish_task)
    except Exception:  # no thread could start: the freshness check will request it again
        log.exception("could not start the background publish")


def wait_idle(timeout: float = 30.0) -> bool:
    return _publisher.wait(timeout)


# A short-lived process (seed_demo, a management command) that asked for a publish must
# not end it half done: the thread is a daemon, so exiting would cut it off and leave the
# change to the next freshness check, a minute later.
EXIT_WAIT_SECONDS = 120.0


def _finish_at_exit() -> None:
    if not _publisher.wait(EXIT_WAIT_SECONDS):
        log.warning("exiting with a background publish unfinished; the freshness check redoes it")


atexit.register(_finish_at_exit)
