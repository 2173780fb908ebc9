from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

app = Celery("candor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The worker's heartbeat (incidents/worker_heartbeat.py), wired here rather than by a side
# effect of importing the tasks: only a worker beats, whichever modules it loaded.
@worker_ready.connect
def _heartbeat_start(**_: Any) -> None:
    from incidents import worker_heartbeat  # Django is set up by the time a worker is ready

    worker_heartbeat.start()


# The publisher made ready before its first publish (incidents/publish/warm.py), in the
# process that runs the tasks, in a thread (a prefork child must report ready within
# seconds; the warm-up at 10,000 incidents takes a few). The solo pool and each prefork
# child send worker_process_init; the threads pool does not, and warms at worker_ready.
@worker_process_init.connect
def _publisher_warm_child(**_: Any) -> None:
    from incidents.publish.warm import publisher_warm_soon

    publisher_warm_soon()


@worker_ready.connect
def _publisher_warm_threads(sender: Any = None, **_: Any) -> None:
    from celery.concurrency.thread import TaskPool

    if isinstance(getattr(sender, "pool", None), TaskPool):
        from incidents.publish.warm import publisher_warm_soon

        publisher_warm_soon()


@worker_shutdown.connect
def _heartbeat_stop(**_: Any) -> None:
    from incidents import worker_heartbeat

    worker_heartbeat.stop()
