"""Celery tasks: thin wrappers that call lifecycle and report what they did."""

from __future__ import annotations

from celery import shared_task

from incidents import lifecycle


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def maintenance_sweep() -> dict[str, int]:
    return lifecycle.maintenance_sweep()
