"""Celery tasks: thin wrappers that call the services and report what they did."""

from __future__ import annotations

from celery import shared_task

# worker_heartbeat connects the worker's heartbeat to its start and shutdown signals.
from incidents import idempotency, lifecycle, worker_heartbeat  # noqa: F401
from incidents.ingest import automation
from incidents.publish import freshness, trigger


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def maintenance_sweep() -> dict[str, int]:
    return lifecycle.maintenance_sweep()


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def idempotency_keys_prune() -> int:
    return idempotency.idempotency_keys_prune()


# Longer limits than the default: rendering a large site and pushing it to an object
# store over the network can take minutes.
@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def publish_site() -> dict[str, object]:
    return trigger.publish_requested().as_dict()


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def publish_freshness_check() -> dict[str, str]:
    return freshness.freshness_check()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def ingest_route() -> dict[str, int]:
    routed = automation.signals_route()
    return {"routed": routed.routed, "evaluated": routed.evaluated}


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def ingest_sweep() -> dict[str, int]:
    routed = automation.signals_route()
    return {"routed": routed.routed, "evaluated": automation.components_sweep()}
