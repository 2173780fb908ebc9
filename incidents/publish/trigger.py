"""When to publish: soon after every public change, once per burst of changes.

After a public change commits, request_publish() queues the publish_site task a moment
later (COALESCE_SECONDS), unless one is already queued: a marker in the shared cache says
so. The task clears the marker before it renders, so a change made while it runs queues
the next run; and it renders again if the site moved while it was publishing
(service.publish_until_current). Ten quick updates cost one or two renders, and the last
one is always published.

Nothing may leave a public change unpublished (the policies are incidents/enqueue.py's;
this module chooses them):

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

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings

from incidents.enqueue import Coalesce, Fallback, Watchdog, enqueue
from incidents.models import PublishTarget
from incidents.publish import background
from incidents.publish.targets import configured_targets
from incidents.publish.versions import site_version

PUBLISH_TASK = background.PUBLISH_TASK
COALESCE_SECONDS = 0.5
# A queued task that never runs must not block requests for longer than this.
PENDING = Coalesce("publish:pending", seconds=60, until_started=True)
# How long the watchdog gives a worker to publish a change before doing it itself.
DEADLINE_SECONDS = 10.0


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
    enqueue(
        PUBLISH_TASK,
        countdown=COALESCE_SECONDS,
        coalesce=PENDING,
        fallback=Fallback.HERE,
        watchdog=Watchdog(DEADLINE_SECONDS, arm=_version_check),
        # In this process, but never inside the request that asked (background.py).
        here=background.publish_soon,
    )


def _version_check() -> Callable[[], bool]:
    version = site_version()  # the version this change made, or a later one
    return lambda: _behind(version)


def _behind(version: int) -> bool:
    names = [target.name for target in configured_targets()]
    published = dict(
        PublishTarget.objects.filter(name__in=names).values_list("name", "last_version")
    )
    return any((published.get(name) or 0) < version for name in names)
