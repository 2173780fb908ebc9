"""Celery tasks: thin wrappers that call the services and report what they did.

An entry point like the views: this module imports the services, and no service imports
it. Services queue these tasks by name (incidents/enqueue.py); the beat names them in
CELERY_BEAT_SCHEDULE.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from incidents import idempotency, lifecycle
from incidents.approvers import notices
from incidents.dependencies import proposals as impact_proposals
from incidents.enqueue import coalesce_release
from incidents.importer import run as importer
from incidents.ingest import automation
from incidents.notify import fanout, follow, limits, outbox, subscriptions
from incidents.notify.transports.email import email_connection
from incidents.publish import (
    freshness,
    oob_reconcile,
    purge,
    renders,
    service,
    trigger,
    verified,
)
from incidents.readers import links
from incidents.reminders import send
from incidents.vendors import poll
from incidents.wording import decisions
from statuspage import broker


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def maintenance_sweep() -> dict[str, int]:
    return lifecycle.maintenance_sweep()


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def idempotency_keys_prune() -> int:
    return idempotency.idempotency_keys_prune()


# Longer limits than the default: rendering a large site and pushing it to an object
# store over the network can take minutes.
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def broker_prune() -> int:
    return broker.prune_delivered(settings.VAR_DIR)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def publish_site() -> dict[str, object]:
    coalesce_release(trigger.PENDING)  # a change from here on queues another run
    return service.publish_until_current().as_dict()


# A full render: pages the incremental publishes reuse are rendered again, so nothing an
# incremental render could have missed outlives this. At 10,000 incidents it takes about
# a minute on two cores.
@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def publish_full() -> dict[str, object]:
    return service.publish(full=True).as_dict()


# Removes the rendered objects no kept render names (publish/objects.py): a beat task, off
# the publish path, so no update waits for it to read the renders and list the store.
@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def publish_collect() -> int:
    return renders.collect_objects()


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def cdn_purge() -> str:
    coalesce_release(purge.TRAILING)  # a change from here on holds the next purge
    return purge.purge_held()


# Every minute, whether or not anything changed: each copy that serves the current
# version gets a fresh "last verified" stamp; one that fell behind keeps its old one.
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def publish_verify_stamp() -> dict[str, str]:
    return verified.stamp_targets()


# Every minute: out-of-band updates posted while the app was away, recorded once each
# (publish/oob_reconcile.py); publishing does the same before each render.
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def publish_reconcile() -> dict[str, object]:
    result = oob_reconcile.reconcile()
    return {"recorded": result.recorded, "refused": result.refused}


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def publish_freshness_check() -> dict[str, str]:
    return freshness.freshness_check()


# Every few seconds: claims what is due in one short transaction and queues one send each,
# so a slow mail server delays one reminder, not the sweep.
@shared_task(acks_late=True, time_limit=30, soft_time_limit=25)
def reminders_sweep() -> int:
    ids = send.reminders_claim(now=timezone.now())
    for reminder_id in ids:
        reminder_send.delay(reminder_id)
    return len(ids)


# Not retried: a reminder half-sent must not be sent twice (its row says what happened).
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def reminder_send(reminder_id: int) -> str:
    return send.reminder_send(reminder_id)


# Not retried by Celery: the notice's row keeps its own backoff, and the sweep sends it.
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def approver_notice_send(notice_id: int) -> str:
    return notices.notice_send(notice_id)


# Every few seconds: notices whose retry time has come, or whose task was lost.
@shared_task(acks_late=True, time_limit=30, soft_time_limit=25)
def approver_notices_sweep() -> int:
    ids = notices.notices_due(now=timezone.now())
    for notice_id in ids:
        approver_notice_send.delay(notice_id)
    return len(ids)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def author_notify_rejected(rejection_id: int) -> int:
    """Tell an author why their words were rejected: the approver's reason, which was
    written for them, but not the words (they are not public)."""
    notice = decisions.rejection_notice(rejection_id)
    if notice is None:
        return 0
    message = EmailMessage(
        f"[{settings.CANDOR_PAGE_NAME}] Your words were rejected",
        f"{notice.by} rejected your {notice.what}. The reason:\n\n{notice.reason}\n\n"
        "Those words can no longer be approved. Write new ones in the console:\n"
        f"{settings.CANDOR_APP_URL}{notice.path}\n",
        None,
        [notice.to],
        connection=email_connection(),  # the one email path (notify/transports/email.py)
    )
    return message.send()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def ingest_route() -> dict[str, int]:
    routed = automation.signals_route()
    return {"routed": routed.routed, "evaluated": routed.evaluated}


# Queued by lifecycle when a maintenance window ends: its components' alerts still
# firing are acted on at once instead of at the next sweep.
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def components_evaluate(component_ids: list[int]) -> int:
    return automation.components_evaluate(component_ids)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def ingest_sweep() -> dict[str, int]:
    routed = automation.signals_route()
    return {"routed": routed.routed, "evaluated": automation.components_sweep()}


# A run sends for up to a minute, then hands over to a fresh task (re-queued below), so
# a fan-out of 100,000 messages is many bounded tasks and a worker restart loses little.
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def notify_fanout(channel: str) -> dict[str, object]:
    result = fanout.fanout_run(channel=channel, max_seconds=60)
    if result.stopped_by == "deadline" and result.more:
        notify_fanout.delay(channel)
    return result.as_dict()


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def notify_sweep() -> dict[str, object]:
    requeued, due = outbox.deliveries_sweep()
    # A worker died if it left deliveries behind: its channel's mark may still look fresh.
    kick = [channel for channel in due if requeued or not limits.fanout_active(channel)]
    outbox.fanout_kick(kick)
    released = follow.followers_release()
    return {"requeued": requeued, "due": due, "kicked": kick, "released": released}


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def subscriber_confirmation_send(subscriber_id: int, secret: str) -> str:
    return subscriptions.confirmation_deliver(subscriber_id=subscriber_id, secret=secret)


# An invitation's link, or a link a reader asked for again: sent only if the address's
# invitation stands (decided here, so the form answers the same for every address).
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def reader_link_send(email: str, seconds: int, audience_id: int | None) -> str:
    return links.link_send(
        email=email, seconds=seconds, audience_id=audience_id, now=timezone.now()
    )


# Queued after every commit that changes a component's stored status (lifecycle).
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def impact_propagate(component_ids: list[int]) -> dict[str, int]:
    return impact_proposals.impact_propagate(component_ids=component_ids)


# Fetches run in parallel, each bounded by CANDOR_VENDOR_TIMEOUT: a run takes about one
# timeout at worst for a batch.
@shared_task(acks_late=True, time_limit=180, soft_time_limit=150)
def vendors_poll() -> dict[str, int]:
    return poll.poll_due()


# An import of years of history: long limits, and a soft one that leaves the run failed
# at its checkpoint (importer/run.py), so the next start resumes it.
@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def statuspage_import(run_id: str) -> dict[str, object]:
    run = importer.import_run(run_id)
    return {"state": run.state, "counts": run.counts, "error": run.error}
