"""The local target: trees side by side, updated with what changed, `current` switched
atomically, never backwards."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incidents.publish.manifest import (
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    Snapshot,
    disk_path,
    file_entry,
    sha256_of,
)
from incidents.publish.targets import local
from incidents.publish.targets.base import TargetError
from incidents.publish.targets.local import KEEP_VERSIONS, TREES, LocalTarget, read_published

HTML = "text/html; charset=utf-8"


def snapshot(
    root: Path, version: int, pages: int = 30, *, same_as: dict[int, int] | None = None
) -> Snapshot:
    """A site of `pages` pages, each naming the version it belongs to (or, for page n in
    `same_as`, the version given there: the page is unchanged since)."""
    files = {}
    site = root / f"render-{version}"
    for n in range(pages):
        path = "index.html" if n == 0 else f"incidents/i{n}"
        body = f"<p>version {(same_as or {}).get(n, version)}, page {n}</p>".encode()
        on_disk = site / (path if path.endswith(".html") else path + ".html")
        on_disk.parent.mkdir(parents=True, exist_ok=True)
        on_disk.write_bytes(body)
        files[path] = file_entry(sha256_of(body), len(body), HTML)
    return Snapshot(site, Manifest(version, datetime.now(UTC), files))


def test_a_push_becomes_current_in_one_of_three_trees(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "mirror")
    assert target.current() is None
    for version in range(1, 6):
        target.push(snapshot(tmp_path, version))
        manifest = target.current()
        assert manifest is not None and manifest.version == version
        assert target.verify() == []
    assert (tmp_path / "mirror" / "current").is_symlink()
    trees = sorted((tmp_path / "mirror" / TREES).iterdir())
    assert len(trees) == KEEP_VERSIONS
    kept = sorted(Manifest.from_json((t / MANIFEST_NAME).read_bytes()).version for t in trees)
    assert kept == [3, 4, 5]  # the two before the current one, as they were
    assert (tmp_path / "mirror/current/incidents/i7.html").read_text() == "<p>version 5, page 7</p>"


def test_unchanged_files_are_not_rewritten_and_dropped_ones_are_removed(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "mirror")
    for version in range(1, 4):  # fills the three trees
        target.push(snapshot(tmp_path, version, same_as=dict.fromkeys(range(2, 30), 1)))
    oldest = (tmp_path / "mirror/current").resolve()
    target.push(snapshot(tmp_path, 4, same_as=dict.fromkeys(range(2, 30), 1)))
    target.push(snapshot(tmp_path, 5, same_as=dict.fromkeys(range(2, 30), 1)))
    inodes = {p.name: p.stat().st_ino for p in (oldest / "incidents").iterdir()}

    # Back to the tree that had version 3: pages 2-9 unchanged, 10-29 changed, 29 gone.
    target.push(snapshot(tmp_path, 6, pages=29, same_as=dict.fromkeys(range(2, 10), 1)))

    assert (tmp_path / "mirror/current").resolve() == oldest
    now = {p.name: p.stat().st_ino for p in (oldest / "incidents").iterdir()}
    kept = {name for name in now if now[name] == inodes[name]}
    assert kept == {f"i{n}.html" for n in range(2, 10)}
    assert "i29.html" not in now
    assert target.verify() == []


def test_a_page_laid_out_elsewhere_leaves_its_old_file_unless_another_page_now_lies_there(
    tmp_path: Path,
) -> None:
    """A file is removed by where it lies (disk_path), not by its manifest path: a page
    whose type changed moves ("a.html" -> "a"), and a new page lying at the old file's
    place keeps it."""

    def site(version: int, pages: dict[str, tuple[bytes, str]]) -> Snapshot:
        root, files = tmp_path / f"render-{version}", {}
        for path, (body, kind) in pages.items():
            on_disk = root / disk_path(path, kind)
            on_disk.parent.mkdir(parents=True, exist_ok=True)
            on_disk.write_bytes(body)
            files[path] = FileEntry(sha256_of(body), len(body), kind)
        return Snapshot(root, Manifest(version, datetime.now(UTC), files))

    target = LocalTarget(tmp_path / "mirror")
    first = {"a": (b"<p>a</p>", HTML), "b": (b"<p>b</p>", HTML)}
    for version in range(1, 1 + KEEP_VERSIONS):  # every tree holds the first layout
        target.push(site(version, first))
    target.push(site(9, {"a": (b"{}", "application/json"), "b.html": (b"{}", "application/json")}))
    current = tmp_path / "mirror/current"
    assert not (current / "a.html").exists()  # a moved to "a"
    assert (current / "a").read_bytes() == b"{}"
    assert (current / "b.html").read_bytes() == b"{}"  # another page lies there now
    assert target.verify() == []


def test_a_push_that_dies_midway_leaves_the_previous_version_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    target = LocalTarget(tmp_path / "mirror")
    for version in range(1, 4):
        target.push(snapshot(tmp_path, version))
    copied = []

    def copy_then_die(source: object, destination: str) -> None:
        if len(copied) == 5:
            raise OSError(28, "No space left on device")
        copied.append(destination)
        shutil.copyfile(source, destination)  # type: ignore[arg-type]

    monkeypatch.setattr(local.shutil, "copyfile", copy_then_die)
    with pytest.raises(TargetError, match="No space left"):
        target.push(snapshot(tmp_path, 4))
    assert target.current().version == 3  # type: ignore[union-attr]
    assert target.verify() == []
    page = read_published("/incidents/i9")
    assert page is not None and page.body == b"<p>version 3, page 9</p>"

    monkeypatch.undo()
    target.push(snapshot(tmp_path, 5))  # the half-written tree is rebuilt whole first
    target.push(snapshot(tmp_path, 6))
    target.push(snapshot(tmp_path, 7))
    for tree in (tmp_path / "mirror" / TREES).iterdir():
        manifest = Manifest.from_json((tree / MANIFEST_NAME).read_bytes())
        for path in manifest.files:
            name = path if path.endswith(".html") else path + ".html"
            assert f"version {manifest.version}," in (tree / name).read_text()


def test_an_older_version_is_refused_and_the_current_one_kept(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "mirror")
    target.push(snapshot(tmp_path, 7))
    with pytest.raises(TargetError, match="refusing to replace it with older version 6"):
        target.push(snapshot(tmp_path, 6))
    assert target.current().version == 7  # type: ignore[union-attr]


def test_the_same_version_again_goes_to_another_tree(tmp_path: Path) -> None:
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
            found = []
            try:
                read_at = (current / MANIFEST_NAME).stat().st_ino
                manifest = Manifest.from_json((current / MANIFEST_NAME).read_bytes())
                for path in manifest.files:
                    name = path if path.endswith(".html") else path + ".html"
                    body = (current / name).read_text()
                    if f"version {manifest.version}," not in body:
                        found.append(f"{path} of {manifest.version}: {body}")
                if found and (current / MANIFEST_NAME).stat().st_ino != read_at:
                    continue  # the tree was reused two switches later: the reader retries
            except FileNotFoundError:
                # The tree is being reused for a newer version under a reader that resolved
                # it two switches ago: it retries, as nginx opens the new one next request.
                continue
            problems.extend(found)
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


def test_a_manifest_built_from_kept_entries_is_what_one_json_dump_writes() -> None:
    """Entries and paths are serialised once and kept: the bytes stay those of one dump of
    the whole manifest, hostile paths included, and a second manifest sharing entries
    (an incremental render) is written as it would be from scratch."""
    at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    paths = ["index.html", 'a"quote', "é/ü", "ctl\x01\x7f", "bidi\u202e", "lone\ud800", "z" * 500]
    files = {p: FileEntry(f"{n:064x}", n, "text/html; charset=utf-8") for n, p in enumerate(paths)}
    first = Manifest(version=3, generated_at=at, files=files)
    second = Manifest(
        version=4,
        generated_at=at,
        files={**files, "new": FileEntry("f" * 64, 1, "application/json")},
    )
    for manifest in (first, second):
        expected = json.dumps(
            {
                "version": manifest.version,
                "generated_at": manifest.generated_at.isoformat(),
                "files": {
                    p: {"sha256": e.sha256, "size": e.size, "content_type": e.content_type}
                    for p, e in sorted(manifest.files.items())
                },
            },
            separators=(",", ":"),
        ).encode()
        assert manifest.to_json() == expected
        assert Manifest.from_json(expected) == manifest


def test_a_manifest_is_serialised_once_compact_and_pushed_as_its_render_wrote_it(
    tmp_path: Path,
) -> None:
    site = snapshot(tmp_path, 1)
    raw = site.manifest.to_json()
    assert raw is site.manifest.to_json()  # serialised once per manifest
    assert b"\n" not in raw and b'": ' not in raw  # compact: no indentation, no padding
    assert Manifest.from_json(raw) == site.manifest

    # A manifest read from a render's file is written to a target as those very bytes,
    # which its signature (manifest.json.sig) covers, whatever their layout.
    written = tmp_path / "render-1" / MANIFEST_NAME
    written.write_bytes(b"{\n " + raw[1:])
    from_render = Snapshot(site.root, Manifest.from_json(written.read_bytes()))
    target = LocalTarget(tmp_path / "mirror")
    target.push(from_render)
    assert (tmp_path / "mirror/current" / MANIFEST_NAME).read_bytes() == written.read_bytes()
    assert target.verify() == []


def test_manifests_share_one_entry_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries read from disk and entries a render makes are the same object for the same
    file, so bringing a tree up to date compares them by identity: an unchanged file's
    disk path is never even computed."""
    body = b"<p>same</p>"
    made = file_entry(sha256_of(body), len(body), HTML)
    raw = Manifest(1, datetime.now(UTC), {"index.html": made}).to_json()
    assert Manifest.from_json(raw).files["index.html"] is made
    assert Manifest.from_json(bytes(raw)).files["index.html"] is made

    target = LocalTarget(tmp_path / "mirror")
    same = dict.fromkeys(range(1, 30), 1)
    for version in range(1, 4):
        target.push(snapshot(tmp_path, version, same_as=same))
    computed: list[str] = []
    real = local.disk_path

    def counting(path: str, content_type: str) -> str:
        computed.append(path)
        return real(path, content_type)

    monkeypatch.setattr(local, "disk_path", counting)
    target.push(snapshot(tmp_path, 4, same_as=same))  # the tree of version 1: page 0 changed
    assert set(computed) == {"index.html"}
