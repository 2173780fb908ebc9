"""The poller: fetch every vendor that is due, in parallel, and record each answer.

An entry point (the beat task calls it). The due vendors are claimed first (locked, skipping
those another run holds, and their next poll pushed past the longest a fetch can take),
so two overlapping runs never poll one vendor twice, and a worker that dies mid-poll only
delays it. Fetches run in a small thread pool
without touching the database; each answer is recorded as it arrives, so one slow or
failing vendor delays no other.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import Vendor
from incidents.vendors.document import DocumentError, read
from incidents.vendors.fetch import FetchError, fetch, vendor_session
from incidents.vendors.service import Outcome, vendor_poll_record

log = logging.getLogger(__name__)

BATCH = 200  # vendors claimed per run; more wait for the next run, 15 s later


def _claim(now: datetime) -> list[Vendor]:
    """Lock the due vendors (skipping any another run holds) and push their next poll
    past a fetch's longest: two statements, whatever the number due."""
    lease = now + timedelta(seconds=settings.CANDOR_VENDOR_TIMEOUT * 3 + 60)
    with transaction.atomic():
        due = list(
            Vendor.objects.select_for_update(skip_locked=True)
            .filter(active=True, next_poll_at__lte=now)
            .order_by("next_poll_at")
            .only("pk", "url", "etag", "last_modified", "interval")[:BATCH]
        )
        Vendor.objects.filter(pk__in=[v.pk for v in due]).update(next_poll_at=lease)
    return due


def _fetch_one(vendor: Vendor, now: datetime) -> Outcome:
    """In a pool thread: network and parsing only, no database."""
    try:
        with vendor_session() as session:
            fetched = fetch(
                session, vendor.url, etag=vendor.etag, last_modified=vendor.last_modified
            )
        if fetched.not_modified:
            return Outcome(fetched=fetched)
        return Outcome(fetched=fetched, reading=read(fetched.body, now=now))
    except (FetchError, DocumentError) as exc:
        return Outcome(error=str(exc))
    except Exception as exc:  # a bug must cost one vendor's poll, not the others'
        log.exception("polling vendor %s failed", vendor.pk)
        return Outcome(error=f"internal error ({type(exc).__name__})")


def poll_due(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    claimed = _claim(now)
    results: Counter[str] = Counter()
    if not claimed:
        return dict(results)
    workers = min(settings.CANDOR_VENDOR_PARALLEL, len(claimed))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vendor-poll") as pool:
        futures = {pool.submit(_fetch_one, vendor, now): vendor for vendor in claimed}
        for future in as_completed(futures):
            vendor = futures[future]
            try:
                outcome = future.result()
                result = vendor_poll_record(
                    vendor_id=vendor.pk, outcome=outcome, now=now, interval=vendor.interval
                )
                results[result] += 1
            except Exception:
                # Its claim lapses and it is polled again: one bad record stops no other.
                log.exception("recording the poll of vendor %s failed", vendor.pk)
                results["error"] += 1
    return dict(results)
