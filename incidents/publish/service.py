"""Publishing: render the site once, push it to every configured target, record the outcome.

Each target is pushed in its own try/except, so a failing one never holds the others back,
and under its own lock (publish/locks.py): two publishes racing for one target take turns,
and the later turn drops a render older than what the target already has. A target only
ever moves forward. The targets' copies run at once, each in a thread of its own
(`_push_all`); every database read and write stays in the publishing thread.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import connections
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from incidents.models import PublishTarget
from incidents.publish import purge
from incidents.publish.audience_sites import audience_sites_publish
from incidents.publish.changes import site_changes_prune
from incidents.publish.locks import target_lock
from incidents.publish.manifest import Manifest, Snapshot
from incidents.publish.oob_reconcile import (
    Reconciled,
    listed_ids,
    pending_ids,
    reconcile,
    reconcile_from,
    shown_since,
)
from incidents.publish.renders import render_next
from incidents.publish.targets import configured_targets
from incidents.publish.targets.base import Target
from incidents.publish.targets.local import LocalTarget
from incidents.publish.versions import site_version

log = logging.getLogger(__name__)
T = TypeVar("T")

# Longer than any push should take; a publish waiting longer gives up and says so.
LOCK_TIMEOUT_SECONDS = 120.0

PUBLISHED = "published"
HELD = "held"  # the target holds an out-of-band update this render predates
CURRENT = "current"  # already had this version: nothing to do
DROPPED = "dropped"  # already had a newer version than this render
FAILED = "failed"


@dataclass(frozen=True)
class TargetResult:
    name: str
    outcome: str  # PUBLISHED, CURRENT, DROPPED, HELD or FAILED
    version: int | None  # the version the target has after this publish, if known
    error: str = ""


@dataclass(frozen=True)
class PublishResult:
    version: int  # the site version this publish rendered, or found every target at
    targets: tuple[TargetResult, ...]

    @property
    def failed(self) -> bool:
        return any(t.outcome == FAILED for t in self.targets)

    def as_dict(self) -> dict[str, object]:
        return {"version": self.version, "targets": {t.name: t.outcome for t in self.targets}}


@contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """The objects that exist when a publish starts are left out of the cyclic garbage
    collector's passes until it ends (gc.freeze), then handed back (gc.unfreeze): nothing
    is kept longer, the collector only stops rescanning them. A worker holds millions
    (the manifests of 70,000 files, the notices' digests) and each full pass over them,
    several per publish, cost 0.25-1 s of an update's publish at 10,000 incidents.
    Process-wide: a publish in another thread meanwhile is unfrozen with this one."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def publish(*, force: bool = False, full: bool = False) -> PublishResult:
    """Render the current site and push it to every target that is behind.

    Only the pages the changes since the last render can have altered are rendered
    (publish/dependencies.py), and targets take only the files that differ.

    `full` renders every page (healing any drift an incremental render could leave) and
    pushes to every target, current or not. `force` does the same and also rewrites
    every file on every target (a repair after `publish --verify` found a damaged file).
    An older render is never pushed.
    """
    with _older_objects_frozen():
        return _publish(force=force, full=full)


def _publish(*, force: bool, full: bool) -> PublishResult:
    full = full or force
    targets = configured_targets()
    # Out-of-band updates go into the database before anything is rendered from it: a
    # render without them would take them off the page. Here from the local copies only
    # (a store that hangs must not delay the local push); each push checks its own
    # target again under its lock (_holds_newer_words), remote ones included.
    reconcile(targets=[t for t in targets if isinstance(t, LocalTarget)])
    rows = _target_rows(targets)
    version = site_version()
    due = [t for t in targets if full or _behind(rows[t.name], version)]
    results = {
        t.name: TargetResult(t.name, CURRENT, rows[t.name].last_version)
        for t in targets
        if t not in due
    }
    if due:
        try:
            snapshot = render_next(full=full)
        except Exception as exc:
            log.exception("rendering the public site failed")
            for target in due:
                results[target.name] = _failed(target.name, f"render failed: {exc}")
        else:
            version = snapshot.manifest.version
            # Local copies first: a remote store that hangs until its timeouts must
            # not delay the copy the live views fall back on.
            first = sorted(due, key=lambda t: not isinstance(t, LocalTarget))
            results.update(_push_all(first, snapshot, force=full, repair=force))
            # The next render builds on this one (or a newer one): older records are done.
            site_changes_prune(below=version)
            if any(r.outcome == PUBLISHED for r in results.values()):
                purge.purge_soon()  # the CDN in front, if any, hears of it (coalesced)
    # Each audience's private copy, after the public one (which readers outside any
    # audience and the CDN depend on); none without audiences.
    try:
        audience_sites_publish(full=full)
    except Exception:  # the public publish has succeeded; its result must stand
        log.exception("publishing the audiences' private copies failed")
    return PublishResult(version, tuple(results[t.name] for t in targets))


# Renders per task at most, should the site keep moving while it publishes.
MAX_ROUNDS = 3


def publish_until_current() -> PublishResult:
    """Publish until the targets have the latest version (the publish_site task's work)."""
    result = publish()
    for _ in range(MAX_ROUNDS - 1):
        if site_version() <= result.version:
            break
        result = publish()
    return result


def _target_rows(targets: list[Target]) -> dict[str, PublishTarget]:
    rows = {}
    for target in targets:
        rows[target.name], _ = PublishTarget.objects.get_or_create(name=target.name)
    return rows


def _behind(row: PublishTarget, version: int) -> bool:
    return row.last_version is None or row.last_version < version


def _push(target: Target, snapshot: Snapshot, *, force: bool, repair: bool = False) -> TargetResult:
    """Push `snapshot` to one target, here and now."""
    return _push_all([target], snapshot, force=force, repair=repair)[target.name]


@dataclass
class _Copying:
    """A target whose copy is under way: its lock is held until its outcome is recorded."""

    target: Target
    row_pk: int
    lock: ExitStack
    done: Future[None]


def _push_all(
    targets: list[Target], snapshot: Snapshot, *, force: bool, repair: bool
) -> dict[str, TargetResult]:
    """Push `snapshot` to every one of `targets` at once.

    Each target's checks and records (the database) are made in this thread, under its
    lock, in the order given; its copy (files written, objects uploaded: no database)
    runs in a thread of its own as soon as its checks pass. An update is on every
    target after the slowest copy, not the sum of them. Each outcome is recorded as soon
    as its copy ends, also while this thread waits for a later target (its lock, or what
    it serves now, read in a thread): a store that hangs delays neither the local copy
    nor its record. One target is checked and copied in this thread.
    """
    version = snapshot.manifest.version
    results: dict[str, TargetResult] = {}
    copying: list[_Copying] = []
    pool = (
        ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="publish-copy")
        if len(targets) > 1
        else None
    )

    def record_ended() -> None:
        _record_copied(copying, results, version, wait=False)

    try:
        for target in targets:
            record_ended()
            lock = ExitStack()
            try:
                lock.enter_context(
                    target_lock(target.name, timeout=LOCK_TIMEOUT_SECONDS, waiting=record_ended)
                )
                served = (
                    _meanwhile(pool, target.current, copying, record_ended)
                    if pool is not None
                    else target.current()
                )
                row_pk, outcome = _ready(target, version, served, force=force)
            except Exception as exc:
                lock.close()
                results[target.name] = _push_failed(target, version, exc)
                continue
            if outcome is not None:
                lock.close()
                results[target.name] = outcome
                continue
            try:
                done = (
                    pool.submit(_copy_in_thread, target, snapshot, repair)
                    if pool is not None
                    else _copied_here(target, snapshot, repair)
                )
            except BaseException:  # (an Exception of the copy's own is in `done`)
                lock.close()
                raise
            copying.append(_Copying(target, row_pk, lock, done))
        while copying:
            _record_copied(copying, results, version, wait=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)  # no copy outlives the lock that covers it
        for item in copying:  # only if recording broke off
            item.lock.close()
    return results


def _meanwhile(
    pool: ThreadPoolExecutor,
    read: Callable[[], Manifest | None],
    copying: list[_Copying],
    record_ended: Callable[[], None],
) -> Manifest | None:
    """`read()` in a thread, recording the copies that end while it runs."""
    job = pool.submit(_in_thread, read)
    while not job.done():
        running: list[Future[Any]] = [job, *(item.done for item in copying)]
        futures.wait(running, return_when=futures.FIRST_COMPLETED)
        record_ended()
    return job.result()


def _ready(
    target: Target, version: int, served: Manifest | None, *, force: bool
) -> tuple[int, TargetResult | None]:
    """Under the target's lock: its row, and why it takes nothing (None: it takes this
    render). `served`: the manifest the target serves, read under the lock."""
    # Read again under the lock: a publish that rendered later may have pushed while
    # this one was rendering.
    row = PublishTarget.objects.get(name=target.name)
    if row.last_version is not None and version < row.last_version:
        log.info("%s has version %s; dropped %s", target.name, row.last_version, version)
        return row.pk, TargetResult(target.name, DROPPED, row.last_version)
    if row.last_version == version and not force:
        return row.pk, TargetResult(target.name, CURRENT, version)
    if _shows_newer_words(target, version, served):
        # The target shows an out-of-band update this render predates: the version that
        # recorded it publishes it (its commit requested a publish).
        return row.pk, TargetResult(target.name, HELD, row.last_version)
    PublishTarget.objects.filter(pk=row.pk).update(last_attempt_at=timezone.now())
    return row.pk, None


def _copy_in_thread(target: Target, snapshot: Snapshot, repair: bool) -> None:
    _in_thread(lambda: target.push(snapshot, repair=repair))


def _in_thread(work: Callable[[], T]) -> T:
    try:
        return work()
    finally:
        connections.close_all()  # this thread's own, should a target ever open one


def _copied_here(target: Target, snapshot: Snapshot, repair: bool) -> Future[None]:
    done: Future[None] = Future()
    try:
        target.push(snapshot, repair=repair)
    except Exception as exc:
        done.set_exception(exc)
    else:
        done.set_result(None)
    return done


def _record_copied(
    copying: list[_Copying], results: dict[str, TargetResult], version: int, *, wait: bool
) -> None:
    """Record the copies that have ended (with `wait`, at least one), and release their
    locks."""
    if wait:
        futures.wait([item.done for item in copying], return_when=futures.FIRST_COMPLETED)
    for item in [item for item in copying if item.done.done()]:
        try:
            item.done.result()
            _record_success(item.row_pk, version, now=timezone.now())
        except Exception as exc:
            results[item.target.name] = _push_failed(item.target, version, exc)
        else:
            log.info("published version %s to %s", version, item.target.name)
            results[item.target.name] = TargetResult(item.target.name, PUBLISHED, version)
        finally:
            copying.remove(item)
            item.lock.close()


def _push_failed(target: Target, version: int, exc: Exception) -> TargetResult:
    log.warning("publishing version %s to %s failed", version, target.name, exc_info=exc)
    return _failed(target.name, str(exc) or exc.__class__.__name__)


def _shows_newer_words(target: Target, version: int, served: Manifest | None) -> bool:
    """Whether `target` shows an out-of-band update that a render of `version` lacks:
    one the database has from a later version only, or had not recorded at all (recorded
    now). One the app cannot verify does not hold a push back (it is logged). `served`:
    the manifest the target serves."""
    if served is None or not listed_ids(served):
        return False
    if pending_ids(served):
        reconcile_from(target, served, Reconciled())
    return shown_since(served) > version


def _record_success(pk: int, version: int, *, now: datetime) -> None:
    caught_up = version >= site_version()
    PublishTarget.objects.filter(pk=pk).update(
        last_version=version,
        last_published_at=now,
        last_attempt_at=now,
        last_error="",
        **({"behind_since": None} if caught_up else {}),
    )


def _failed(name: str, error: str) -> TargetResult:
    now = timezone.now()
    PublishTarget.objects.filter(name=name).update(
        last_error=error[:2000],
        last_attempt_at=now,
        # The lag episode starts with the first failure, not when the check notices it.
        behind_since=Coalesce(F("behind_since"), now),
    )
    return TargetResult(name, FAILED, None, error)


# -- checking what the targets serve ---------------------------------------------------


@dataclass(frozen=True)
class TargetHealth:
    name: str
    version: int | None  # the version its manifest names; None if it has none
    files: int
    problems: tuple[str, ...]


def verify_targets() -> tuple[int, list[TargetHealth]]:
    """The site version, and for every target whether it serves it, intact."""
    version = site_version()
    health = []
    for target in configured_targets():
        served, files, problems = None, 0, []
        try:
            manifest = target.current()
            if manifest is None:
                problems.append("has nothing published")
            else:
                served, files = manifest.version, len(manifest.files)
                if manifest.version < version:
                    problems.append(
                        f"is stale: serves version {manifest.version}, the site is at {version}"
                    )
                elif manifest.version > version:
                    problems.append(
                        f"serves version {manifest.version}, newer than the site's {version} "
                        "(was the database restored from a backup?)"
                    )
                problems += target.verify()
        except Exception as exc:
            problems.append(f"cannot be checked: {exc}")
        health.append(TargetHealth(target.name, served, files, tuple(problems)))
    return version, health
