"""The local target: versions side by side, `current` switched atomically, never backwards."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incidents.publish.manifest import MANIFEST_NAME, FileEntry, Manifest, Snapshot, sha256_of
from incidents.publish.targets.base import TargetError
from incidents.publish.targets.local import KEEP_VERSIONS, LocalTarget, read_published

HTML = "text/html; charset=utf-8"


def snapshot(root: Path, version: int, pages: int = 30) -> Snapshot:
    """A site of `pages` pages, each naming the version it belongs to."""
    files = {}
    site = root / f"render-{version}"
    for n in range(pages):
        path = "index.html" if n == 0 else f"incidents/i{n}"
        body = f"<p>version {version}, page {n}</p>".encode()
        on_disk = site / (path if path.endswith(".html") else path + ".html")
        on_disk.parent.mkdir(parents=True, exist_ok=True)
        on_disk.write_bytes(body)
        files[path] = FileEntry(sha256_of(body), len(body), HTML)
    return Snapshot(site, Manifest(version, datetime.now(UTC), files))


def test_a_push_becomes_current_and_older_versions_are_pruned(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "mirror")
    assert target.current() is None
    for version in range(1, 6):
        target.push(snapshot(tmp_path, version))
        manifest = target.current()
        assert manifest is not None and manifest.version == version
    assert (tmp_path / "mirror" / "current").is_symlink()
    kept = sorted(p.name for p in (tmp_path / "mirror" / "versions").iterdir())
    assert kept == ["3", "4", "5"] and len(kept) == KEEP_VERSIONS
    assert (tmp_path / "mirror/current/incidents/i7.html").read_text() == "<p>version 5, page 7</p>"
    assert target.verify() == []


def test_an_older_version_is_refused_and_the_current_one_kept(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "mirror")
    target.push(snapshot(tmp_path, 7))
    with pytest.raises(TargetError, match="refusing to replace it with older version 6"):
        target.push(snapshot(tmp_path, 6))
    assert target.current().version == 7  # type: ignore[union-attr]


def test_the_same_version_again_goes_to_a_new_directory(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "mirror")
    target.push(snapshot(tmp_path, 3))
    first = target.current_dir()
    target.push(snapshot(tmp_path, 3))  # a repair, after `publish --verify` found damage
    assert target.current_dir() != first and target.current().version == 3  # type: ignore[union-attr]


def test_verify_names_changed_truncated_and_missing_files(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "mirror")
    target.push(snapshot(tmp_path, 1, pages=4))
    current = tmp_path / "mirror" / "current"
    (current / "index.html").write_text("<p>VERSION 1, page 0</p>")  # same size
    (current / "incidents/i1.html").write_text("<p>")
    (current / "incidents/i2.html").unlink()
    problems = target.verify()
    assert problems == [
        "incidents/i1: 3 bytes, the manifest says 24",
        "incidents/i2: missing",
        "index.html: content differs from the manifest's sha256",
    ]


def test_readers_never_see_a_partial_site(tmp_path: Path) -> None:
    """While versions are switched, every read of `current` finds one whole version."""
    target = LocalTarget(tmp_path / "mirror")
    target.push(snapshot(tmp_path, 1))
    snapshots = [snapshot(tmp_path, v) for v in range(2, 40)]
    done, seen, problems = threading.Event(), set(), []

    def read() -> None:
        while not done.is_set():
            current = (tmp_path / "mirror" / "current").resolve()
            try:
                manifest = Manifest.from_json((current / MANIFEST_NAME).read_bytes())
                for path in manifest.files:
                    name = path if path.endswith(".html") else path + ".html"
                    body = (current / name).read_text()
                    if f"version {manifest.version}," not in body:
                        problems.append(f"{path} of {manifest.version}: {body}")
            except FileNotFoundError:
                # Pruned under a reader that resolved it three switches ago: the reader
                # retries, as nginx would open the new one on its next request.
                continue
            seen.add(manifest.version)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for made in snapshots:
        target.push(made)
    done.set()
    for reader in readers:
        reader.join()
    assert problems == []
    assert len(seen) > 5


def test_the_live_fallback_reads_the_current_snapshot(tmp_path: Path, settings: object) -> None:
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"  # type: ignore[attr-defined]
    assert read_published("/") is None
    LocalTarget(tmp_path / "mirror").push(snapshot(tmp_path, 4))
    page = read_published("/incidents/i3")
    assert page is not None and page.body == b"<p>version 4, page 3</p>" and page.version == 4
    missing = read_published("/incidents/nope")
    assert missing is not None and missing.body is None
