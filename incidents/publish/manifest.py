"""What a snapshot is: a directory of files and the manifest that names and hashes them.

The manifest is the contract between the renderer, every target and `publish --verify`:
a target is current when its manifest's version is the site's version, and intact when
every file it lists has the listed hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True)
class Manifest:
    version: int  # the site version rendered; only ever moves forward on a target
    generated_at: datetime
    # Path relative to the site root, with "/" separators, e.g. "index.html",
    # "api/v2/summary.json", "static/candor/public.3f2a9c.css".
    files: dict[str, FileEntry] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "version": self.version,
                "generated_at": self.generated_at.isoformat(),
                "files": {
                    path: {"sha256": e.sha256, "size": e.size, "content_type": e.content_type}
                    for path, e in sorted(self.files.items())
                },
            },
            indent=1,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        return cls(
            version=int(data["version"]),
            generated_at=datetime.fromisoformat(data["generated_at"]),
            files={
                path: FileEntry(e["sha256"], int(e["size"]), e["content_type"])
                for path, e in data["files"].items()
            },
        )


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """A rendered site on local disk, complete and immutable once its manifest is written."""

    root: Path
    manifest: Manifest

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()
