"""The renders the publisher keeps, so the next one can be built from the last.

    <VAR_DIR>/publish/objects/                     every body, once, by hash (objects.py)
    <VAR_DIR>/publish/renders/<version>-<token>/   a complete render: manifest.json (path
                                                   -> object) and render.json, no pages
    <VAR_DIR>/publish/renders/base -> <version>-<token>   the newest complete render

A render is made in a hidden directory and renamed into place once complete, then `base`
is switched to it with rename(2) if it is newer than the one `base` names: a publish
running at the same time in another process finds a complete base or none. A few recent
renders are kept (a push may still be reading one) and the rest removed; a beat task
removes the objects none of the kept renders names (collect_objects).
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings

from incidents.publish.dependencies import RENDER_STATE, Base, RenderState
from incidents.publish.manifest import (
    MANIFEST_NAME,
    Manifest,
    Snapshot,
    load_parsed,
    remember_parsed,
)
from incidents.publish.objects import OBJECTS, ObjectStore
from incidents.publish.snapshot import render_snapshot

log = logging.getLogger(__name__)

BASE = "base"
KEEP_RENDERS = 3
# A render younger than this may still be read by a push in progress: kept whatever the
# count (a push gives up long before: service.LOCK_TIMEOUT_SECONDS plus its own timeouts).
KEEP_SECONDS = 600
_INCOMING = ".incoming-"


def renders_dir() -> Path:
    return Path(settings.VAR_DIR) / "publish" / "renders"


def object_store() -> ObjectStore:
    return ObjectStore(Path(settings.VAR_DIR) / "publish" / OBJECTS)


def render_next(*, full: bool = False) -> Snapshot:
    """Render the current site, from the last render unless `full`, and keep it as the
    base of the next one."""
    root = renders_dir()
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(_INCOMING + "*"):  # a render that died midway, long ago
        if time.time() - leftover.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(leftover, ignore_errors=True)
    base = None if full else current_base()
    objects = object_store()
    incoming = root / f"{_INCOMING}{secrets.token_hex(4)}"
    try:
        try:
            snapshot = render_snapshot(incoming, base=base, objects=objects)
        except OSError:
            if base is None:
                raise
            # The base went away under us (removed by hand, or a disk problem): render
            # everything rather than fail the publish.
            log.warning("reusing the last render failed; rendering everything", exc_info=True)
            shutil.rmtree(incoming, ignore_errors=True)
            snapshot = render_snapshot(incoming, objects=objects)
        final = root / f"{snapshot.manifest.version}-{incoming.name.removeprefix(_INCOMING)}"
        incoming.rename(final)
        remember_parsed(final / MANIFEST_NAME, Manifest.from_json, snapshot.manifest)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    _switch_base(final, snapshot.manifest.version)
    _prune(keep=final.name)
    return Snapshot(root=final, manifest=snapshot.manifest, objects=objects.root)


def current_base() -> Base | None:
    """The newest complete render; None if there is none or it cannot be read."""
    link = renders_dir() / BASE
    try:
        directory = link.resolve(strict=True)
        manifest = load_parsed(directory / MANIFEST_NAME, Manifest.from_json)
        state = load_parsed(directory / RENDER_STATE, RenderState.from_json)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # none yet, or damaged: the next render is a full one
    return Base(Snapshot(root=directory, manifest=manifest, objects=object_store().root), state)


def _switch_base(directory: Path, version: int) -> None:
    current = current_base()
    if current is not None and current.snapshot.manifest.version > version:
        return  # a newer render finished first
    link = renders_dir() / f".{BASE}-{secrets.token_hex(4)}"
    link.symlink_to(directory.name, target_is_directory=True)
    os.replace(link, renders_dir() / BASE)


def _prune(*, keep: str) -> None:
    base = (renders_dir() / BASE).resolve()

    renders = []
    for path in renders_dir().iterdir():
        version = path.name.partition("-")[0]
        if version.isdigit() and path.is_dir() and not path.is_symlink():
            try:  # another publish may be pruning too
                renders.append((int(version), path.stat().st_mtime, path))
            except FileNotFoundError:
                continue
    now = time.time()
    for _, made, old in sorted(renders, reverse=True)[KEEP_RENDERS:]:
        if old.name == keep or old == base or now - made < KEEP_SECONDS:
            continue
        shutil.rmtree(old, ignore_errors=True)


def collect_objects() -> int:
    """Remove the objects no kept render names; returns how many. The `publish-collect`
    beat task runs it, off the publish path.

    Only objects untouched for KEEP_SECONDS go: a render in progress writes (or touches)
    its objects before its manifest names them, and builds on a base kept that long.
    """
    keep: set[str] = set()
    root = renders_dir()
    if not root.is_dir():
        return 0
    for path in root.iterdir():
        if path.is_symlink() or not path.is_dir():
            continue
        try:
            manifest = load_parsed(path / MANIFEST_NAME, Manifest.from_json)
        except FileNotFoundError:
            continue  # a render in progress (its objects are fresh) or pruned meanwhile
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("cannot read %s; no objects collected", path, exc_info=True)
            return 0  # what it names is unknown: remove nothing
        keep.update(entry.sha256 for entry in manifest.files.values())
    removed = object_store().collect(keep, older_than=KEEP_SECONDS)
    if removed:
        log.info("removed %s objects no render names", removed)
    return removed
