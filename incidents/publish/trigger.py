"""When to publish: soon after every public change, once per burst of changes.

After a public change commits, request_publish() queues the publish_site task a moment
later (COALESCE_SECONDS), unless one is already queued: a marker in the shared cache says
so. The task clears the marker before it renders, so a change made while it runs queues
the next run; and it renders again if the site moved while it was publishing. Ten quick
updates cost one or two renders, and the last one is always published.

Nothing may leave a public change unpublished:

- the broker cannot take the task: the publish runs in this process instead, in its
  background thread (background.py), so the request does not wait for a render;
- no worker has sent a heartbeat lately (worker_heartbeat.py): the broker would take the
  task but nobody would run it, so again it runs in this process's background thread;
- a worker took the task and died, or died just before its heartbeat expired: a watchdog
  in this process checks after DEADLINE_SECONDS that the targets have the version this
  change made, and publishes in-process if they do not;
- every process died: the freshness check (publish/freshness.py) requests a publish
  within a minute of the beat's return.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu.exceptions import OperationalError as BrokerError

from incidents.models import PublishTarget
from incidents.publish import background, service
from incidents.publish.targets import configured_targets
from incidents.publish.versions import site_version
from incidents.worker_heartbeat import worker_alive

log = logging.getLogger(__name__)

PENDING_KEY = "publish:pending"
COALESCE_SECONDS = 0.5
# A queued task that never runs must not block requests for longer than this.
PENDING_TTL_SECONDS = 60
# Renders per task at most, should the site keep moving while it publishes.
MAX_ROUNDS = 3
# How long the watchdog gives a worker to publish a change before doing it itself.
DEADLINE_SECONDS = 10.0
# One quick retry for a broker blip; past that the publish runs in-process.
_ENQUEUE_RETRY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0, "interval_max": 0.2}


_local = threading.local()


@contextmanager
def publishing_deferred() -> Iterator[None]:
    """Many public changes in a row (demo data, an import): publish once, at the end."""
    _local.deferred = True
    try:
        yield
    finally:
        _local.deferred = False
    request_publish()


def request_publish() -> None:
    """Have the site published soon. Call after a public change commits; never raises."""
    if not settings.CANDOR_PUBLISH_TARGETS or getattr(_local, "deferred", False):
        return
    if not settings.CELERY_TASK_ALWAYS_EAGER and not worker_alive():
        log.warning("no worker is alive; publishing in this process")
        _publish_here()
        return
    try:
        if not cache.add(PENDING_KEY, 1, timeout=PENDING_TTL_SECONDS):
            return  # one is queued and has not started: it will see this change
    except Exception:
        log.warning("cache unreachable; publishing without coalescing", exc_info=True)
    from incidents.tasks import publish_site  # tasks import this module

    try:
        publish_site.apply_async(
            countdown=COALESCE_SECONDS, retry=True, retry_policy=_ENQUEUE_RETRY
        )
    except (BrokerError, OSError):
        log.warning("broker unreachable; publishing in this process", exc_info=True)
        _forget_pending()
        _publish_here()
        return
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # eager: the task has already run
        _watch(site_version())


def _publish_here() -> None:
    # In this process, but never inside the request that asked: background.py.
    background.publish_soon()


def _watch(version: int) -> None:
    """After DEADLINE_SECONDS, publish here if some target still lacks `version`."""

    def check() -> None:
        try:
            if _behind(version):
                log.warning("version %s not published in time; publishing here", version)
                _publish_here()
        except Exception:
            log.exception("the publish watchdog failed")
        finally:
            connection.close()  # this thread's own connection

    timer = threading.Timer(DEADLINE_SECONDS, check)
    timer.daemon = True
    timer.start()


def _behind(version: int) -> bool:
    names = [target.name for target in configured_targets()]
    published = dict(
        PublishTarget.objects.filter(name__in=names).values_list("name", "last_version")
    )
    return any((published.get(name) or 0) < version for name in names)


def publish_requested() -> service.PublishResult:
    """Publish until the targets have the latest version (the publish_site task's work)."""
    _forget_pending()  # a change from here on queues another run
    result = service.publish()
    for _ in range(MAX_ROUNDS - 1):
        if site_version() <= result.version:
            break
        result = service.publish()
    return result


def _forget_pending() -> None:
    try:
        cache.delete(PENDING_KEY)
    except Exception:
        log.warning("cache unreachable; the publish marker expires by itself", exc_info=True)
