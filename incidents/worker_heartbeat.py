"""Whether a Celery worker is alive, as the web processes see it.

Each worker runs a small thread (started and stopped by the worker's signals, connected in
statuspage/celery.py) that refreshes one shared cache key every third of
CANDOR_WORKER_HEARTBEAT_TTL; a clean shutdown deletes it, a killed worker lets it
expire. A thread rather than Celery's timer: with the solo pool a long task blocks the
timer, and a busy worker is not a dead one.

Work that must happen soon (publishing a public change) asks `worker_alive()` and does it
in-process when no worker has spoken lately: the broker would take the task, but nobody
would run it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

KEY = "workers:heartbeat"
# When a worker last spoke, kept with no expiry: the console shows it once KEY has expired.
LAST_SEEN_KEY = "workers:last_seen"

_stop = threading.Event()
_thread: threading.Thread | None = None


def beat(now: datetime | None = None) -> None:
    cache.set(KEY, 1, timeout=settings.CANDOR_WORKER_HEARTBEAT_TTL)
    cache.set(LAST_SEEN_KEY, (now or timezone.now()).isoformat(), timeout=None)


def worker_alive() -> bool:
    """True if a worker has sent a heartbeat within the TTL; False if not, or unknown."""
    try:
        return cache.get(KEY) is not None
    except Exception:
        log.warning("cache unreachable; assuming no worker is alive", exc_info=True)
        return False


def worker_last_seen() -> datetime | None:
    """When a worker last sent a heartbeat; None if never (or the cache is unreachable)."""
    try:
        value = cache.get(LAST_SEEN_KEY)
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except Exception:
        log.warning("cache unreachable; worker last seen unknown", exc_info=True)
        return None


def _run() -> None:
    interval = settings.CANDOR_WORKER_HEARTBEAT_TTL / 3
    while not _stop.is_set():
        try:
            beat()
        except Exception:
            log.warning("could not send the worker heartbeat", exc_info=True)
        _stop.wait(interval)


def start() -> None:
    """Start beating (statuspage/celery.py calls it when a worker is ready)."""
    global _thread
    _stop.clear()
    _thread = threading.Thread(target=_run, name="candor-heartbeat", daemon=True)
    _thread.start()


def stop() -> None:
    """Stop beating and say so (statuspage/celery.py calls it when a worker shuts down)."""
    _stop.set()
    if _thread is not None:
        # A beat in flight lands before the delete, never after it (which would say a
        # stopped worker is alive for a whole TTL).
        _thread.join(timeout=10)
    try:
        cache.delete(KEY)  # say so at once; another live worker sets it again within TTL/3
    except Exception:
        log.warning("could not clear the worker heartbeat", exc_info=True)
