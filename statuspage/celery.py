from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

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


@worker_shutdown.connect
def _heartbeat_stop(**_: Any) -> None:
    from incidents import worker_heartbeat

    worker_heartbeat.stop()
