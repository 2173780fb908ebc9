"""What a snapshot is: the manifest that names and hashes its files, and where the bodies
are (objects named by hash in the publisher's store, or files in a served tree).

The manifest is the contract between the renderer, every target and `publish --verify`:
a target is current when its manifest's version is the site's version, and intact when
every file it lists has the listed hash.

A manifest path is the page's URL path without its leading "/" ("incidents/abc123",
"history/2025-01", "api/v2/summary.json"), except the root page, "index.html": exactly
the key an object store serves that URL from, with the content type recorded per file.
In a tree "history" (a page) and "history/2025-01" cannot both be files, so on disk
an HTML page without an extension gets ".html" ("history.html", "history/2025-01.html"),
which nginx finds with `try_files $uri $uri.html`: see disk_path().
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar, cast

MANIFEST_NAME = "manifest.json"
INDEX = "index.html"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int
    content_type: str


# One FileEntry per distinct file in this process (bounded like _path_strings): the
# manifests a worker holds (its renders' and each target tree's, read from disk) then share
# their entries, and comparing a tree with a render is mostly `is` (publish/targets/
# local.py): 62,000 dataclass comparisons and disk paths were 0.25 s of an update's
# profile at 10,000 incidents.
_entries: dict[tuple[str, int, str], FileEntry] = {}
_ENTRIES_KEPT = 500_000


def file_entry(sha256: str, size: int, content_type: str) -> FileEntry:
    key = (sha256, size, content_type)
    found = _entries.get(key)
    if found is None:
        if len(_entries) >= _ENTRIES_KEPT:
            _entries.clear()
        found = _entries[key] = FileEntry(sha256, size, content_type)
    return found


@dataclass(frozen=True)
class Manifest:
    version: int  # the site version rendered; only ever moves forward on a target
    generated_at: datetime
    # Path relative to the site root, with "/" separators, e.g. "index.html",
    # "api/v2/summary.json", "static/candor/public.3f2a9c.css".
    files: dict[str, FileEntry] = field(default_factory=dict)

    def to_json(self) -> bytes:
        # A publish writes the same manifest (70,000 entries, 11 MB at 10,000 incidents in
        # six languages) into its render and to every target: serialised once. A manifest
        # is not changed once made (its files are a render's, complete).
        cached = self.__dict__.get("_json")
        if cached is None:
            cached = self._serialised()
            object.__setattr__(self, "_json", cached)
        return cast(bytes, cached)

    def entries_prepare(self) -> None:
        """Serialise each entry and path ahead, as a worker does at start (publish/warm.py):
        the next render reuses nearly all of them."""
        for path, entry in self.files.items():
            _path_json(path)
            _entry_json(entry)

    def _serialised(self) -> bytes:
        """What json.dumps(..., separators=(",", ":")) writes of the manifest (compact:
        an indented dump runs Python's pure-Python encoder), from each entry's JSON
        serialised once per process: a render reuses nearly every entry of its base, and
        encoding 70,000 of them afresh cost a publish a quarter of a second."""
        head = _compact({"version": self.version, "generated_at": self.generated_at.isoformat()})
        files = ",".join(
            f"{_path_json(path)}:{_entry_json(self.files[path])}"
            for path in _sorted_paths(self.files)
        )
        return f'{head[:-1]},"files":{{{files}}}}}'.encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        manifest = cls(
            version=int(data["version"]),
            generated_at=datetime.fromisoformat(data["generated_at"]),
            files={
                path: file_entry(e["sha256"], int(e["size"]), e["content_type"])
                for path, e in data["files"].items()
            },
        )
        # Written again as read: the same bytes as the file it came from (which its
        # signature, manifest.json.sig, covers), without serialising 70,000 entries.
        object.__setattr__(manifest, "_json", bytes(raw))
        return manifest


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


# Each path's JSON string, kept while the site keeps it (bounded: started again past the
# limit, as renamed pages leave keys behind).
_path_strings: dict[str, str] = {}
_PATHS_KEPT = 500_000


def _path_json(path: str) -> str:
    found = _path_strings.get(path)
    if found is None:
        if len(_path_strings) >= _PATHS_KEPT:
            _path_strings.clear()
        found = _path_strings[path] = _compact(path)
    return found


# The paths of the manifest last written, as a set and sorted: a render's paths are
# nearly always its base's (a new page is a new incident), and sorting 70,000 of them cost
# a publish 50 ms. Replaced whole, never changed in place.
_last_order: tuple[set[str], list[str]] = (set(), [])


def _sorted_paths(files: dict[str, FileEntry]) -> list[str]:
    global _last_order
    known, order = _last_order
    if files.keys() == known:
        return order
    order = sorted(files)
    _last_order = (set(files), order)
    return order


def _entry_json(entry: FileEntry) -> str:
    # Kept on the entry: entries are immutable and shared by every render reusing them.
    found = entry.__dict__.get("_json")
    if found is None:
        found = _compact(
            {"sha256": entry.sha256, "size": entry.size, "content_type": entry.content_type}
        )
        object.__setattr__(entry, "_json", found)
    return cast(str, found)


# -- parsed once per process ---------------------------------------------------------------

T = TypeVar("T")
# A 10,000-file manifest takes tens of milliseconds to parse, and a publish reads the base
# render's, the mirror's current one and the tree it writes: each is parsed once per file
# version (path, inode, mtime, size: files are replaced by rename, never written in place).
_parsed: OrderedDict[tuple[Path, str], tuple[tuple[int, int, int], object]] = OrderedDict()
_parsed_lock = threading.Lock()
_PARSED_KEPT = 16


def load_parsed(path: Path, parse: Callable[[bytes], T]) -> T:
    """`parse` of the file at `path`, parsed again only when the file was replaced."""
    stat = os.stat(path)
    version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    key = (path, getattr(parse, "__qualname__", repr(parse)))
    with _parsed_lock:
        found = _parsed.get(key)
        if found is not None and found[0] == version:
            _parsed.move_to_end(key)
            return cast(T, found[1])
    value = parse(Path(path).read_bytes())
    # Stat again: if the file was replaced while being read, do not keep what was read.
    stat = os.stat(path)
    if (stat.st_ino, stat.st_mtime_ns, stat.st_size) == version:
        with _parsed_lock:
            _parsed[key] = (version, value)
            while len(_parsed) > _PARSED_KEPT:
                _parsed.popitem(last=False)
    return value


def remember_parsed(path: Path, parse: Callable[[bytes], T], value: T) -> None:
    """Keep `value` as what `parse` gives for the file just written at `path`."""
    stat = os.stat(path)
    with _parsed_lock:
        _parsed[(path, getattr(parse, "__qualname__", repr(parse)))] = (
            (stat.st_ino, stat.st_mtime_ns, stat.st_size),
            value,
        )
        while len(_parsed) > _PARSED_KEPT:
            _parsed.popitem(last=False)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_for_url(url_path: str) -> str:
    """The manifest path serving a URL path: "/" -> "index.html", "/history" -> "history"."""
    return url_path.lstrip("/") or INDEX


def url_for_path(path: str) -> str:
    """The URL path a manifest path is served at (the inverse of path_for_url)."""
    return "/" if path == INDEX else "/" + path


def disk_path(path: str, content_type: str) -> str:
    """Where a manifest path lives in a snapshot directory (see the module docstring)."""
    if content_type.startswith("text/html") and not path.endswith(".html"):
        return path + ".html"
    return path


def object_path(objects: Path, sha256: str) -> Path:
    """Where a body is kept in a content-addressed store (publish/objects.py)."""
    return objects / sha256[:2] / sha256[2:]


@dataclass(frozen=True)
class Snapshot:
    """A rendered site, complete and immutable once its manifest is written.

    Its bodies are either objects named by their hash in a shared store (`objects`, a
    render of the publisher: publish/objects.py) or files under `root` at their disk
    paths (a served mirror tree, or a snapshot a test builds by hand).
    """

    root: Path
    manifest: Manifest
    objects: Path | None = None

    def file(self, path: str) -> Path:
        """Where the body of `path` is on disk."""
        entry = self.manifest.files[path]
        if self.objects is not None:
            return object_path(self.objects, entry.sha256)
        return self.root / disk_path(path, entry.content_type)

    def read(self, path: str) -> bytes:
        return self.file(path).read_bytes()
