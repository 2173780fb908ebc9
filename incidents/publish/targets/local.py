"""A local directory, served by nginx (deploy/nginx-mirror.conf) and by the live views
when the database is down.

    <mirror>/versions/<version>/   one complete snapshot per version, manifest.json included
    <mirror>/current -> versions/<version>

A push assembles the new version in a hidden directory: files the current version has
with the same hash are hard links to its files (a version directory is never written in
place, so they can share them), the others are copied from the snapshot. It renames the
directory into versions/ complete, then swaps the `current` symlink with rename(2), which
is atomic: a reader resolving `current` finds the old complete version or the new one,
never a partial directory. The three newest versions are kept, so a reader that resolved
`current` just before a switch finishes from the version it started with.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from incidents.publish.manifest import (
    MANIFEST_NAME,
    Manifest,
    Snapshot,
    disk_path,
    path_for_url,
    sha256_of,
)
from incidents.publish.targets.base import TargetError

KEEP_VERSIONS = 3
CURRENT = "current"
VERSIONS = "versions"
_INCOMING = ".incoming-"


class LocalTarget:
    def __init__(self, root: Path, *, name: str = "local") -> None:
        self.name = name
        self.root = root

    @property
    def versions(self) -> Path:
        return self.root / VERSIONS

    def push(self, snapshot: Snapshot, *, repair: bool = False) -> None:
        try:
            self.versions.mkdir(parents=True, exist_ok=True)
            with self._locked():
                self._push_locked(snapshot, repair=repair)
        except OSError as exc:
            raise TargetError(f"{self.name}: cannot write {self.root}: {exc}") from exc

    def _push_locked(self, snapshot: Snapshot, *, repair: bool) -> None:
        version = snapshot.manifest.version
        served = self.current()
        served_dir = self.current_dir()
        # A repair trusts nothing already there: a damaged file must not be linked on.
        unchanged = {} if repair or served is None else served.files
        if served is not None and version < served.version:
            raise TargetError(
                f"{self.name} serves version {served.version}; "
                f"refusing to replace it with older version {version}"
            )
        for leftover in self.versions.glob(_INCOMING + "*"):  # a push that died midway
            shutil.rmtree(leftover, ignore_errors=True)
        incoming = self.versions / f"{_INCOMING}{secrets.token_hex(4)}"
        incoming.mkdir()
        made: set[str] = set()  # each directory made once: this runs for every file
        for path, entry in snapshot.manifest.files.items():
            relative = disk_path(path, entry.content_type)
            target = os.path.join(incoming, relative)
            parent = os.path.dirname(target)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            if unchanged.get(path) == entry and served_dir is not None:
                try:
                    os.link(os.path.join(served_dir, relative), target)
                    continue
                except OSError:
                    pass  # no hard links here, or the file is gone: copy it
            shutil.copyfile(os.path.join(snapshot.root, relative), target)
        (incoming / MANIFEST_NAME).write_bytes(snapshot.manifest.to_json())
        # The manifest's signature (incidents/signing.py), when the render made one.
        signature = snapshot.root / (MANIFEST_NAME + ".sig")
        if signature.exists():
            shutil.copyfile(signature, incoming / signature.name)
        final = self._free_name(version)
        incoming.rename(final)
        link = self.root / f".{CURRENT}-{secrets.token_hex(4)}"
        link.symlink_to(Path(VERSIONS) / final.name, target_is_directory=True)
        os.replace(link, self.root / CURRENT)
        self._prune(keep=final.name)

    def _free_name(self, version: int) -> Path:
        # The same version again (a repair after `publish --verify` found damage) goes to
        # a new directory: the one `current` points at is never written in place.
        candidate, n = self.versions / str(version), 1
        while candidate.exists():
            candidate, n = self.versions / f"{version}.{n}", n + 1
        return candidate

    def _prune(self, *, keep: str) -> None:
        def order(p: Path) -> tuple[int, int]:
            version, _, n = p.name.partition(".")
            return int(version), int(n or 0)

        dirs = [p for p in self.versions.iterdir() if p.is_dir() and p.name[0].isdigit()]
        for old in sorted(dirs, key=order, reverse=True)[KEEP_VERSIONS:]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Web and worker processes (and containers sharing the volume) may push at once;
        # the version check and the switch must happen as one step.
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def current_dir(self) -> Path | None:
        link = self.root / CURRENT
        return link.resolve() if link.is_dir() else None

    def current(self) -> Manifest | None:
        directory = self.current_dir()
        if directory is None:
            return None
        try:
            return Manifest.from_json((directory / MANIFEST_NAME).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TargetError(f"{self.name}: cannot read {MANIFEST_NAME}: {exc!r}") from exc

    def verify(self) -> list[str]:
        directory = self.current_dir()
        manifest = self.current()
        if directory is None or manifest is None:
            return [f"{self.name} has no {MANIFEST_NAME}: nothing has been published"]
        problems = []
        for path, entry in sorted(manifest.files.items()):
            try:
                data = (directory / disk_path(path, entry.content_type)).read_bytes()
            except OSError:
                problems.append(f"{path}: missing")
                continue
            if len(data) != entry.size:
                problems.append(f"{path}: {len(data)} bytes, the manifest says {entry.size}")
            elif sha256_of(data) != entry.sha256:
                problems.append(f"{path}: content differs from the manifest's sha256")
        return problems


# -- reading the published copy, for the live views while the database is down ----------


@dataclass(frozen=True)
class Published:
    body: bytes | None  # None: the snapshot has no such page
    content_type: str
    generated_at: datetime
    version: int


_manifests: dict[Path, Manifest] = {}
_manifests_lock = threading.Lock()


def read_published(url_path: str) -> Published | None:
    """The page at `url_path` in the mirror's current snapshot; None without a snapshot."""
    target = LocalTarget(Path(settings.CANDOR_MIRROR_DIR))
    try:
        directory = target.current_dir()
        if directory is None:
            return None
        with _manifests_lock:
            manifest = _manifests.get(directory)
        if manifest is None:
            manifest = target.current()
            if manifest is None:
                return None
            with _manifests_lock:  # version directories never change: parse each once
                _manifests.clear()
                _manifests[directory] = manifest
        path = path_for_url(url_path)
        entry = manifest.files.get(path)
        body = None
        if entry is not None:
            body = (directory / disk_path(path, entry.content_type)).read_bytes()
    except (OSError, TargetError):
        return None  # pruned under us, or damaged: nothing trustworthy to serve
    content_type = entry.content_type if entry else ""
    return Published(body, content_type, manifest.generated_at, manifest.version)
