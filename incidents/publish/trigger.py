"""When to publish: soon after every public change, once per burst of changes.

After a public change commits, request_publish() queues the publish_site task a moment
later (COALESCE_SECONDS), unless one is already queued: a marker in the shared cache says
so. The task clears the marker before it renders, so a change made while it runs queues
the next run; and it renders again if the site moved while it was publishing. Ten quick
updates cost one or two renders, and the last one is always published.

If the broker cannot take the task, the publish runs right here instead: a slower request
beats an update that never reaches the public copies. If nothing runs at all (a worker
lost the task), the freshness check (publish/freshness.py) requests a publish within a
minute.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerError

from incidents.publish import service
from incidents.publish.versions import site_version

log = logging.getLogger(__name__)

PENDING_KEY = "publish:pending"
COALESCE_SECONDS = 1.0
# A queued task that never runs must not block requests for longer than this.
PENDING_TTL_SECONDS = 60
# Renders per task at most, should the site keep moving while it publishes.
MAX_ROUNDS = 3
# One quick retry for a broker blip; past that the publish runs in-process.
_ENQUEUE_RETRY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0, "interval_max": 0.2}


def request_publish() -> None:
    """Have the site published soon. Call after a public change commits; never raises."""
    if not settings.CANDOR_PUBLISH_TARGETS:
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
        try:
            publish_requested()
        except Exception:
            log.exception("publishing in-process failed; the freshness check will retry")


def publish_requested() -> service.PublishResult:
    """What the publish_site task does: publish until the targets have the latest version."""
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
