"""The publisher's object store: each body once, renders as manifests over it, and
collecting never removes an object a kept render names."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Component
from incidents.publish import renders, service
from incidents.publish.manifest import MANIFEST_NAME, Manifest, load_parsed
from incidents.publish.objects import ObjectStore
from incidents.tasks import publish_collect
from tests.factories import promised

ACTOR = Actor.system("test")


def test_a_body_is_stored_once_by_its_hash(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "objects")
    first = store.put(b"<p>same</p>")
    assert store.put(b"<p>same</p>") == first
    assert store.path(first).read_bytes() == b"<p>same</p>"
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [first[2:]]


def test_collect_keeps_what_is_named_and_what_is_fresh(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "objects")
    named, unnamed, fresh = store.put(b"named"), store.put(b"unnamed"), store.put(b"fresh")
    long_ago = time.time() - 3600
    for digest in (named, unnamed):
        os.utime(store.path(digest), (long_ago, long_ago))

    assert store.collect({named}, older_than=600) == 1

    assert store.path(named).exists() and store.path(fresh).exists()
    assert not store.path(unnamed).exists()
    # Stored again, an old object is fresh again: a render naming it is not yet kept.
    os.utime(store.path(named), (long_ago, long_ago))
    store.put(b"named")
    assert store.collect(set(), older_than=600) == 0


@pytest.mark.django_db(transaction=True)
def test_pruning_renders_never_removes_an_object_a_kept_render_names(
    mirror: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    # Collect after every publish, with no grace period: only the kept renders protect.
    monkeypatch.setattr(renders, "KEEP_SECONDS", 0)
    component = Component.objects.create(name="API", position=1)
    incident = lifecycle.incident_open(
        actor=ACTOR, name="Slow API", body=promised("Investigating."), impact="minor",
        components={component: "degraded_performance"},
    )  # fmt: skip
    service.publish()
    for n, status in enumerate(("identified", "monitoring", "identified", "monitoring")):
        lifecycle.update_post(
            actor=ACTOR, incident=incident, body=promised(f"Step {n}."), status=status
        )
        assert not service.publish().failed
        publish_collect()  # the beat task's work

    store = renders.object_store()
    kept = [
        Manifest.from_json((d / MANIFEST_NAME).read_bytes())
        for d in renders.renders_dir().iterdir()
        if d.is_dir() and not d.is_symlink()
    ]
    assert len(kept) == renders.KEEP_RENDERS
    named = {e.sha256 for m in kept for e in m.files.values()}
    stored = {p.parent.name + p.name for p in store.root.glob("*/*")}
    assert named <= stored, "a kept render names a collected object"
    assert stored == named, "objects no kept render names were left behind"
    base = renders.current_base()
    assert base is not None
    for path in base.snapshot.manifest.files:
        base.snapshot.read(path)
    assert service.verify_targets()[1][0].problems == ()


def test_a_manifest_is_parsed_again_only_when_its_file_was_replaced(tmp_path: Path) -> None:
    parsed: list[bytes] = []

    def parse(raw: bytes) -> bytes:
        parsed.append(raw)
        return raw

    path = tmp_path / "manifest.json"
    path.write_bytes(b"one")
    assert load_parsed(path, parse) == b"one"
    assert load_parsed(path, parse) == b"one"
    assert parsed == [b"one"]
    replacement = tmp_path / "new"
    replacement.write_bytes(b"two")
    os.replace(replacement, path)
    assert load_parsed(path, parse) == b"two"
    assert parsed == [b"one", b"two"]
