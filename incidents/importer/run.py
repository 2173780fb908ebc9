"""An import run: from its checkpoint, one page of one resource at a time, to its report.

Each page is written in one transaction with the checkpoint that follows it, so a run
that fails (the source stops answering, the worker dies) resumes at the first page it had
not finished: the next run of the same page id takes the failed run over. What was written
is mapped, so a finished page read again adds nothing either.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from incidents.audit import Actor, audit_record
from incidents.importer import client, history, write
from incidents.importer.client import ImportFailure, StatuspageClient
from incidents.models import AuditAction, ImportRun, ImportState
from incidents.public.cache import public_changed
from incidents.publish.trigger import request_publish
from incidents.publish.versions import site_version_bump

log = logging.getLogger(__name__)

IMPORT_TASK = "incidents.tasks.statuspage_import"
# (stage, how it is listed, how a page of it is written), in order: what comes later
# refers to what came before (components to groups, incidents and subscribers to both).
STAGES: tuple[tuple[str, client.Listing, Callable[[write.Context, list[object]], None]], ...] = (
    ("groups", client.COMPONENT_GROUPS, write.groups_write),
    ("components", client.COMPONENTS, write.components_write),
    ("incidents", client.INCIDENTS, write.incidents_write),
    ("subscribers", client.SUBSCRIBERS, write.subscribers_write),
)
STAGE_NAMES = [name for name, _, _ in STAGES] + ["history"]
# A run that has not moved for this long lost its worker: a new start may take it over.
STALE = timedelta(minutes=15)


class ImportBusy(Exception):
    """An import of this page is running already."""


def import_start(
    *, actor: Actor, page_id: str, api_key: str, base_url: str = client.DEFAULT_BASE_URL
) -> ImportRun:
    """A run for `page_id`, ready to go: the page's failed run if there is one (it resumes
    from its checkpoint), else a new one. Raises ImportBusy if one is under way."""
    now = timezone.now()
    with transaction.atomic():
        unfinished = (
            ImportRun.objects.select_for_update()
            .filter(page_id=page_id)
            .exclude(state=ImportState.DONE)
            .first()
        )
        busy = unfinished is not None and unfinished.state != ImportState.FAILED
        if busy and unfinished is not None and now - unfinished.updated_at < STALE:
            raise ImportBusy(f"an import of {page_id} is under way")
        run = unfinished or ImportRun(page_id=page_id, created_at=now, started_by=actor.label)
        run.base_url, run.api_key, run.state = base_url, api_key, ImportState.QUEUED
        run.error, run.updated_at = "", now
        run.save()
        audit_record(
            actor=actor,
            action=AuditAction.IMPORT_STARTED,
            target=run,
            summary=f"{'Resumed' if unfinished else 'Started'} importing Statuspage page {page_id}",
            at=now,
            data={"page_id": page_id, "base_url": base_url[:200]},
        )
    return run


def import_in_background(public_id: str) -> None:
    """Run the import in a thread of this process: what the console does when no worker
    would (enqueue's Fallback.HERE), so the request that started it does not wait for it.
    A process that exits mid-way leaves the run at its checkpoint; after STALE, starting
    it again resumes it."""

    def target() -> None:
        try:
            import_run(public_id)
        finally:
            connection.close()  # this thread's own

    threading.Thread(target=target, name=f"import-{public_id}", daemon=True).start()


def import_run(
    public_id: str,
    *,
    actor: Actor | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[ImportRun], None] | None = None,
) -> ImportRun:
    """Run the import from its checkpoint to the end (or to a failure, kept resumable)."""
    run = ImportRun.objects.get(public_id=public_id)
    if run.state == ImportState.DONE:
        return run
    actor = actor or Actor.system("import")
    source = StatuspageClient(
        page_id=run.page_id, api_key=run.api_key, base_url=run.base_url, sleep=sleep
    )
    report = write.Report(counts=dict(run.counts), problems=list(run.problems))
    run.state = ImportState.RUNNING
    _save(run, report)
    try:
        _stages(run, source, report, actor, progress)
    except ImportFailure as exc:
        return _end(run, report, actor, error=str(exc))
    except Exception as exc:  # the run must end recorded, and resumable, whatever happened
        log.exception("import %s failed", run.public_id)
        return _end(run, report, actor, error=f"unexpected error ({type(exc).__name__})")
    return _end(run, report, actor)


def _stages(
    run: ImportRun,
    source: StatuspageClient,
    report: write.Report,
    actor: Actor,
    progress: Callable[[ImportRun], None] | None,
) -> None:
    stage = run.checkpoint.get("stage", STAGE_NAMES[0])
    for name, listing, writer in STAGES:
        if STAGE_NAMES.index(name) < STAGE_NAMES.index(stage):
            continue
        start = run.checkpoint.get("page") if name == stage else None
        for number, items in source.pages(listing, start=start):
            with transaction.atomic():
                ctx = write.Context(
                    page_id=run.page_id, actor=actor, now=timezone.now(), report=report
                )
                writer(ctx, items)
                run.checkpoint = {"stage": name, "page": number + 1}
                _save(run, report)
            if progress is not None:
                progress(run)
        if name == "subscribers" and (unconfirmed := source.unconfirmed_subscribers()):
            report.counts.setdefault("subscriber", {})["unconfirmed_not_imported"] = unconfirmed
        run.checkpoint = {"stage": STAGE_NAMES[STAGE_NAMES.index(name) + 1]}
        _save(run, report)
    with transaction.atomic():
        report.counts["history"] = {"status_changes": history.history_rebuild(page_id=run.page_id)}
        # One public change for the whole import: publish once, at the end.
        site_version_bump(now=timezone.now())
        transaction.on_commit(public_changed)
        transaction.on_commit(request_publish, robust=True)
        run.checkpoint = {"stage": "done"}
        _save(run, report)


def _save(run: ImportRun, report: write.Report) -> None:
    run.counts, run.problems = report.counts, report.problems
    run.updated_at = timezone.now()
    run.save()


def _end(run: ImportRun, report: write.Report, actor: Actor, *, error: str = "") -> ImportRun:
    now = timezone.now()
    run.state = ImportState.FAILED if error else ImportState.DONE
    run.error, run.api_key, run.finished_at = error[:500], "", now
    _save(run, report)
    summary = f"Import of Statuspage page {run.page_id} " + (
        f"failed, resumable: {error}" if error else "finished"
    )
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT_FINISHED,
        target=run,
        summary=summary,
        at=now,
        data={"counts": report.counts, "not_mapped": report.problems_total},
    )
    return run
