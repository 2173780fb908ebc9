"""The publisher's content-addressed store: every rendered body kept once, named by its hash.

    <VAR_DIR>/publish/objects/<first 2 hex digits>/<other 62>

A render (publish/renders.py) is then only a manifest naming the object of each path: an
unchanged page costs a manifest entry, not a file or a link. An object is written to a
temporary name and renamed, so a name that exists holds the whole body; it is never
written again (the same name is the same bytes).

Objects no kept render names are collected (`collect`), but only once older than a grace
period: a render in progress may have written objects its manifest does not list yet.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from incidents.publish.manifest import object_path, sha256_of

OBJECTS = "objects"
_TEMPORARY = ".tmp-"


class ObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: set[str] = set()  # fan-out directories known to exist

    def path(self, sha256: str) -> Path:
        return object_path(self.root, sha256)

    def put(self, body: bytes) -> str:
        """Store `body` (if not stored already) and return its sha256."""
        digest = sha256_of(body)
        final = self.path(digest)
        try:
            # Stored already: made fresh again, so collect() spares it until the render
            # naming it is kept.
            os.utime(final)
            return digest
        except FileNotFoundError:
            pass
        if final.parent.name not in self._made:
            final.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(final.parent.name)
        temporary = final.parent / f"{_TEMPORARY}{secrets.token_hex(4)}"
        temporary.write_bytes(body)
        os.replace(temporary, final)
        return digest

    def collect(self, keep: Iterable[str], *, older_than: float) -> int:
        """Remove objects not in `keep` and not modified for `older_than` seconds (and
        temporaries a dead render left); returns how many were removed."""
        wanted = set(keep)
        cutoff = time.time() - older_than
        removed = 0
        if not self.root.is_dir():
            return 0
        for fan in os.scandir(self.root):
            if not fan.is_dir():
                continue
            for entry in os.scandir(fan.path):
                if fan.name + entry.name in wanted:
                    continue
                try:
                    if entry.stat().st_mtime >= cutoff:
                        continue
                    os.unlink(entry.path)
                    removed += 1
                except FileNotFoundError:
                    continue  # another publish collected it first
        return removed
