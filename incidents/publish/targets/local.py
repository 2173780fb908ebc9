"""A local directory, served by nginx (deploy/nginx-mirror.conf) and by the live views
when the database is down.

    <mirror>/trees/{0,1,2}/   a complete site each, manifest.json included (a tree being
                              updated has none)
    <mirror>/current -> trees/<n>   the tree served

A push updates the tree least recently served, never the one `current` names: it removes
that tree's manifest first (a tree without one is incomplete), writes only the files whose
entry differs from the manifest the tree last had (each to a temporary name, then renamed
over the old), deletes the files the new version does not have, writes the manifest, and
swaps the `current` symlink with rename(2), which is atomic: a reader resolving `current`
finds the old complete version or the new one, never a partial tree. The cost is the
files that changed since that tree was last served (two versions ago), not the site's
10,000 files. A tree found without a manifest (a push that died midway) is rebuilt whole.

With three trees, the tree a reader resolved stays as it was for two more pushes, so a
reader that resolved `current` just before a switch finishes from the version it started
with.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from incidents.publish.manifest import (
    MANIFEST_NAME,
    Manifest,
    Snapshot,
    disk_path,
    load_parsed,
    path_for_url,
    remember_parsed,
    sha256_of,
)
from incidents.publish.targets.base import TargetError

KEEP_VERSIONS = 3  # trees, each one complete version
MANIFESTS_KEPT = 16
CURRENT = "current"
TREES = "trees"
_TEMPORARY = ".tmp-"
_OLD_VERSIONS = "versions"


class LocalTarget:
    def __init__(self, root: Path, *, name: str = "local") -> None:
        self.name = name
        self.root = root

    @property
    def trees(self) -> Path:
        return self.root / TREES

    def push(self, snapshot: Snapshot, *, repair: bool = False) -> None:
        try:
            self.trees.mkdir(parents=True, exist_ok=True)
            with self._locked():
                self._push_locked(snapshot, repair=repair)
        except OSError as exc:
            raise TargetError(f"{self.name}: cannot write {self.root}: {exc}") from exc

    def _push_locked(self, snapshot: Snapshot, *, repair: bool) -> None:
        version = snapshot.manifest.version
        served = self.current()
        if served is not None and version < served.version:
            raise TargetError(
                f"{self.name} serves version {served.version}; "
                f"refusing to replace it with older version {version}"
            )
        tree = self._next_tree()
        had = _tree_manifest(tree)
        # From here the tree is incomplete until its new manifest is written.
        (tree / MANIFEST_NAME).unlink(missing_ok=True)
        if had is None or repair:  # unknown contents (or trusted no more): start afresh
            shutil.rmtree(tree, ignore_errors=True)
            tree.mkdir()
            had = Manifest(version=0, generated_at=snapshot.manifest.generated_at)
        _update_tree(tree, had, snapshot)
        # The manifest's signature (incidents/signing.py), when the render made one.
        signature = snapshot.root / (MANIFEST_NAME + ".sig")
        if signature.exists():
            _write_replacing(tree / signature.name, signature.read_bytes())
        else:
            (tree / signature.name).unlink(missing_ok=True)
        _write_replacing(tree / MANIFEST_NAME, snapshot.manifest.to_json())
        remember_parsed(tree / MANIFEST_NAME, Manifest.from_json, snapshot.manifest)
        link = self.root / f".{CURRENT}-{secrets.token_hex(4)}"
        link.symlink_to(Path(TREES) / tree.name, target_is_directory=True)
        os.replace(link, self.root / CURRENT)
        # The layout before trees: a directory per version, no longer served.
        shutil.rmtree(self.root / _OLD_VERSIONS, ignore_errors=True)

    def _next_tree(self) -> Path:
        """The tree to write: one without a manifest, else the one written longest ago."""
        served = self.current_dir()
        candidates = []
        for n in range(KEEP_VERSIONS):
            tree = self.trees / str(n)
            if served is not None and tree.resolve() == served:
                continue
            candidates.append((_written_at(tree), n, tree))
        return min(candidates)[2]

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
            return load_parsed(directory / MANIFEST_NAME, Manifest.from_json)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TargetError(f"{self.name}: cannot read {MANIFEST_NAME}: {exc!r}") from exc

    def warm(self) -> None:
        self.current()
        for n in range(KEEP_VERSIONS):  # the tree a push rewrites compares with its own
            _tree_manifest(self.trees / str(n))

    def stamp(self, path: str, body: bytes) -> None:
        directory = self.current_dir()
        if directory is not None:
            _write_replacing(directory / path, body)

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


def _tree_manifest(tree: Path) -> Manifest | None:
    try:
        return load_parsed(tree / MANIFEST_NAME, Manifest.from_json)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent (new or half-written tree) or damaged: contents unknown


def _written_at(tree: Path) -> int:
    try:
        return (tree / MANIFEST_NAME).stat().st_mtime_ns
    except FileNotFoundError:
        return -1  # never written, or a push died in it: the first to (re)build


def _update_tree(tree: Path, had: Manifest, snapshot: Snapshot) -> None:
    """Make the files of `tree`, which match `had`, match `snapshot`: only the files that
    differ are written, the ones it no longer has removed."""
    files = snapshot.manifest.files
    made: set[str] = set()  # each directory made once
    for path, entry in files.items():
        old = had.files.get(path)
        if old is entry or old == entry:  # most are the very entry a render reused
            continue  # unchanged since this tree last served: not touched
        target = os.path.join(tree, disk_path(path, entry.content_type))
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        temporary = os.path.join(parent, _TEMPORARY + secrets.token_hex(4))
        shutil.copyfile(snapshot.file(path), temporary)
        os.replace(temporary, target)
    # Files the tree had that the snapshot lays elsewhere or not at all (few: the whole
    # set of 70,000 wanted paths is made only when there are any).
    gone = []
    for path, entry in had.files.items():
        now = files.get(path)
        if now is entry:
            continue
        relative = disk_path(path, entry.content_type)
        if now is None or disk_path(path, now.content_type) != relative:
            gone.append(relative)
    if gone:
        wanted = {disk_path(p, e.content_type) for p, e in files.items()}
        for relative in gone:
            if relative not in wanted:
                with suppress(FileNotFoundError):
                    os.unlink(os.path.join(tree, relative))


def _write_replacing(target: Path, body: bytes) -> None:
    temporary = target.with_name(_TEMPORARY + secrets.token_hex(4))
    temporary.write_bytes(body)
    os.replace(temporary, target)


# -- reading the published copy, for the live views while the database is down ----------


@dataclass(frozen=True)
class Published:
    body: bytes | None  # None: the snapshot has no such page
    content_type: str
    generated_at: datetime
    version: int


# The manifest of the tree last read, by its tree and file identity: a tree is reused
# for a later version, with a new manifest file (written under a new inode).
_manifests: dict[tuple[Path, int, int], Manifest] = {}
_manifests_lock = threading.Lock()


def read_published(url_path: str, *, root: Path | None = None) -> Published | None:
    """The page at `url_path` in the mirror's current snapshot (or the one at `root`, an
    audience's private copy); None without a snapshot."""
    try:
        directory = LocalTarget(root or Path(settings.CANDOR_MIRROR_DIR)).current_dir()
        if directory is None:
            return None
        stat = (directory / MANIFEST_NAME).stat()
        key = (directory, stat.st_ino, stat.st_mtime_ns)
        with _manifests_lock:
            manifest = _manifests.get(key)
        if manifest is None:
            manifest = _tree_manifest(directory)
            if manifest is None:
                return None
            with _manifests_lock:
                if len(_manifests) > MANIFESTS_KEPT:  # the public copy and a few audiences'
                    _manifests.clear()
                _manifests[key] = manifest
        path = path_for_url(url_path)
        entry = manifest.files.get(path)
        body = None
        if entry is not None:
            body = (directory / disk_path(path, entry.content_type)).read_bytes()
            if sha256_of(body) != entry.sha256:
                return None  # the tree was reused for a newer version under us, or damaged
    except OSError:
        return None  # switched under us, or damaged: nothing trustworthy to serve
    content_type = entry.content_type if entry else ""
    return Published(body, content_type, manifest.generated_at, manifest.version)
