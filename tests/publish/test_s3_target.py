"""The S3 target against a real S3 API: moto's standalone server on a loopback port."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from incidents import signing
from incidents.publish.manifest import MANIFEST_NAME, FileEntry, Manifest, Snapshot, sha256_of
from incidents.publish.targets.base import TargetError
from incidents.publish.targets.s3 import IMMUTABLE, SIGNATURE_NAME, S3Target
from tests.publish.conftest import SECRET, S3Server, free_port

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".atom": "application/atom+xml",
    ".css": "text/css",
}
CSS_V1 = "static/candor/public.3f2a9c1b7d4e.css"
CSS_V2 = "static/candor/public.77aa00bb11cc.css"
SITE_V1 = {
    "index.html": b"<h1>All systems operational</h1>",
    "history/index.html": b"<h1>History</h1>",
    "incidents/old0incident/index.html": b"<h1>Old incident</h1>",
    "api/v2/summary.json": b'{"status": "none"}',
    "history.atom": b"<feed/>",
    CSS_V1: b"body { color: black }",
}
# A new incident, its page and a restyle: three files change, two appear, two go away.
SITE_V2 = {
    "index.html": b"<h1>Partial outage</h1>",
    "history/index.html": b"<h1>History</h1>",
    "incidents/new0incident/index.html": b"<h1>Database degraded</h1>",
    "api/v2/summary.json": b'{"status": "minor"}',
    "history.atom": b"<feed><entry/></feed>",
    CSS_V2: b"body { color: #111 }",
}


def make_target(url: str, bucket: str, **options: Any) -> S3Target:
    return S3Target(
        bucket=bucket,
        endpoint_url=url,
        region="us-east-1",
        access_key_id="candor",
        secret_access_key=SECRET,
        **options,
    )


@pytest.fixture
def target(s3_server: S3Server, bucket: str) -> S3Target:
    return make_target(s3_server.url, bucket)


@pytest.fixture
def build(tmp_path: Path) -> Any:
    """Write a site to disk and return it as a Snapshot of the given version."""

    def build(version: int, files: dict[str, bytes]) -> Snapshot:
        root = tmp_path / f"v{version}-{uuid.uuid4().hex[:6]}"
        entries = {}
        for path, body in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(body)
            content_type = CONTENT_TYPES[Path(path).suffix]
            entries[path] = FileEntry(sha256_of(body), len(body), content_type)
        return Snapshot(root, Manifest(version, datetime.now(UTC), entries))

    return build


def record_calls(target: S3Target) -> list[tuple[str, str]]:
    """(operation, path) for every PutObject and DeleteObject the target makes, in order."""
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        with lock:
            calls.append((model.name, params["Key"].removeprefix(target.prefix)))

    for operation in ("PutObject", "DeleteObject"):
        target.client.meta.events.register(f"before-parameter-build.s3.{operation}", record)
    return calls


def keys(s3: Any, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_first_push_uploads_every_file_with_its_type_and_cache_lifetime(
    target: S3Target, s3: Any, bucket: str, build: Any
) -> None:
    target.push(build(1, SITE_V1))

    assert keys(s3, bucket) == {*SITE_V1, MANIFEST_NAME}
    page = s3.get_object(Bucket=bucket, Key="index.html")
    assert page["Body"].read() == SITE_V1["index.html"]
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == "public, max-age=10"
    assert page["Metadata"] == {"sha256": sha256_of(SITE_V1["index.html"])}
    feed = s3.head_object(Bucket=bucket, Key="history.atom")
    assert (feed["ContentType"], feed["CacheControl"]) == (
        "application/atom+xml",
        "public, max-age=10",
    )
    css = s3.head_object(Bucket=bucket, Key=CSS_V1)
    assert (css["ContentType"], css["CacheControl"]) == ("text/css", IMMUTABLE)


def test_second_push_uploads_only_what_changed_then_removes_stale_keys(
    target: S3Target, s3: Any, bucket: str, build: Any
) -> None:
    target.push(build(1, SITE_V1))
    calls = record_calls(target)

    target.push(build(2, SITE_V2))

    puts = [path for op, path in calls if op == "PutObject"]
    deletes = [path for op, path in calls if op == "DeleteObject"]
    unchanged = {"history/index.html"}
    assert sorted(puts) == sorted([*(set(SITE_V2) - unchanged), MANIFEST_NAME])
    assert sorted(deletes) == sorted(["incidents/old0incident/index.html", CSS_V1])
    # Nothing is removed until the new manifest no longer names it.
    assert calls.index(("PutObject", MANIFEST_NAME)) < min(
        calls.index(("DeleteObject", path)) for path in deletes
    )
    assert keys(s3, bucket) == {*SITE_V2, MANIFEST_NAME}


def test_pages_go_up_after_the_static_files_and_the_manifest_last(
    target: S3Target, build: Any
) -> None:
    calls = record_calls(target)

    target.push(build(1, SITE_V1))

    order = [path for _, path in calls]
    assert order[-1] == MANIFEST_NAME
    assert order.index(CSS_V1) < min(order.index(p) for p in SITE_V1 if p != CSS_V1)
    # The front page links to everything else, so it goes up after the pages it links to.
    assert order.index("index.html") > order.index("incidents/old0incident/index.html")
    assert order.index("index.html") > order.index("history/index.html")


def test_an_older_snapshot_is_refused_and_the_site_left_as_it_was(
    target: S3Target, s3: Any, bucket: str, build: Any
) -> None:
    target.push(build(2, SITE_V2))

    with pytest.raises(TargetError, match="serves version 2"):
        target.push(build(1, SITE_V1))

    assert keys(s3, bucket) == {*SITE_V2, MANIFEST_NAME}
    current = target.current()
    assert current is not None and current.version == 2


def test_current_reads_back_the_manifest_that_was_pushed(target: S3Target, build: Any) -> None:
    assert target.current() is None
    snapshot = build(7, SITE_V1)

    target.push(snapshot)

    assert target.current() == snapshot.manifest


def test_the_manifest_is_read_again_only_when_someone_changed_it(
    s3_server: S3Server, s3: Any, bucket: str, build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest a push wrote is not downloaded and parsed before the next push: the
    store answers 304 to its ETag. Another writer's manifest (another worker, the
    out-of-band CLI) has another ETag and is read whole, even by a new target object."""
    pushed = build(3, SITE_V1)
    make_target(s3_server.url, bucket).push(pushed)
    parsed: list[int] = []
    real = Manifest.from_json

    def counted(raw: bytes) -> Manifest:
        parsed.append(len(raw))
        return real(raw)

    monkeypatch.setattr(Manifest, "from_json", staticmethod(counted))
    later = make_target(s3_server.url, bucket)  # a later publish's target
    assert later.current() == pushed.manifest and parsed == []

    theirs = build(4, SITE_V2).manifest
    s3.put_object(Bucket=bucket, Key=MANIFEST_NAME, Body=theirs.to_json())
    assert later.current() == theirs and len(parsed) == 1
    assert later.current() == theirs and len(parsed) == 1  # and kept in turn

    s3.delete_object(Bucket=bucket, Key=MANIFEST_NAME)
    assert later.current() is None


def test_verify_reports_a_replaced_and_a_missing_file(
    target: S3Target, s3: Any, bucket: str, build: Any
) -> None:
    assert target.verify() == [f"s3:{bucket} has no manifest.json: nothing has been published"]
    target.push(build(1, SITE_V1))
    assert target.verify() == []

    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>Defaced</h1>")
    s3.delete_object(Bucket=bucket, Key=CSS_V1)

    problems = target.verify()
    assert len(problems) == 2
    assert problems[0].startswith("index.html: ")
    assert problems[1] == f"{CSS_V1}: missing"


def test_a_prefix_keeps_the_site_under_it_and_leaves_other_keys_alone(
    s3_server: S3Server, s3: Any, bucket: str, build: Any
) -> None:
    s3.put_object(Bucket=bucket, Key="downloads/report.pdf", Body=b"%PDF")
    target = make_target(s3_server.url, bucket, prefix="/status/")

    target.push(build(1, SITE_V1))
    target.push(build(2, SITE_V2))

    assert keys(s3, bucket) == {
        "downloads/report.pdf",
        *(f"status/{path}" for path in [*SITE_V2, MANIFEST_NAME]),
    }
    assert target.verify() == []


def test_a_repair_removes_keys_no_manifest_named_and_a_plain_push_leaves_them(
    target: S3Target, s3: Any, bucket: str, build: Any
) -> None:
    target.push(build(1, SITE_V1))
    s3.put_object(Bucket=bucket, Key="stray.html", Body=b"<p>not ours</p>")

    target.push(build(2, SITE_V2))
    assert "stray.html" in keys(s3, bucket)  # no listing on a plain push

    target.push(build(2, SITE_V2), repair=True)
    assert keys(s3, bucket) == {*SITE_V2, MANIFEST_NAME}


def test_a_closed_port_fails_the_push_quickly_without_naming_the_secret(
    bucket: str, build: Any
) -> None:
    target = make_target(f"http://127.0.0.1:{free_port()}", bucket)

    started = time.monotonic()
    with pytest.raises(TargetError) as raised:
        target.push(build(1, SITE_V1))

    assert time.monotonic() - started < 10
    assert f"s3:{bucket}: read manifest.json failed" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_hung_store_fails_the_push_within_its_timeouts_and_a_later_push_catches_up(
    s3_server: S3Server, bucket: str, build: Any
) -> None:
    target = make_target(s3_server.url, bucket, connect_timeout=1, read_timeout=1)
    target.push(build(1, SITE_V1))

    with s3_server.paused():
        started = time.monotonic()
        with pytest.raises(TargetError, match="timeout"):
            target.push(build(2, SITE_V2))
        assert time.monotonic() - started < 10

    target.push(build(3, SITE_V2))
    current = target.current()
    assert current is not None and current.version == 3
    assert target.verify() == []


def test_from_settings_builds_the_configured_target(settings: Any, s3_server: S3Server) -> None:
    settings.CANDOR_S3_BUCKET = "status-site"
    settings.CANDOR_S3_ENDPOINT_URL = s3_server.url
    settings.CANDOR_S3_PREFIX = "public"

    target = S3Target.from_settings()

    assert target.name == "s3:status-site"
    assert target.prefix == "public/"
    assert target.client.meta.endpoint_url == s3_server.url


def _signed(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its manifest signed beside it, as the render signs it."""
    (snapshot.root / MANIFEST_NAME).write_bytes(snapshot.manifest.to_json())
    signing.file_sign(snapshot.root / MANIFEST_NAME)
    return snapshot


def _verified(s3: Any, bucket: str, tamper: bytes = b"") -> bool:
    """The bucket's manifest checked against its signature with our listed public key."""
    manifest = s3.get_object(Bucket=bucket, Key=MANIFEST_NAME)["Body"].read() + tamper
    sig = json.loads(s3.get_object(Bucket=bucket, Key=SIGNATURE_NAME)["Body"].read())
    key = next(k for k in signing.keys_document()["keys"] if k["id"] == sig["key"])
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    try:
        public.verify(base64.b64decode(sig["signature"]), manifest)
    except InvalidSignature:
        return False
    return True


def test_the_manifest_signature_goes_up_right_after_the_manifest_and_verifies(
    target: S3Target, s3: Any, bucket: str, build: Any, db: None, settings: Any, tmp_path: Path
) -> None:
    settings.CANDOR_SIGNING_KEYS_DIR = tmp_path / "keys"
    target.push(_signed(build(1, SITE_V1)))
    assert keys(s3, bucket) == {*SITE_V1, MANIFEST_NAME, SIGNATURE_NAME}
    assert _verified(s3, bucket)
    assert not _verified(s3, bucket, tamper=b" ")
    sig = s3.head_object(Bucket=bucket, Key=SIGNATURE_NAME)
    assert (sig["ContentType"], sig["CacheControl"]) == ("application/json", "public, max-age=10")

    calls = record_calls(target)
    target.push(_signed(build(2, SITE_V2)))
    puts = [path for op, path in calls if op == "PutObject"]
    assert puts[-2:] == [MANIFEST_NAME, SIGNATURE_NAME]
    assert _verified(s3, bucket)  # the second version's manifest, with its own signature


def test_a_repair_keeps_the_signature_of_a_signed_site_and_removes_one_left_unsigned(
    target: S3Target, s3: Any, bucket: str, build: Any, db: None, settings: Any, tmp_path: Path
) -> None:
    settings.CANDOR_SIGNING_KEYS_DIR = tmp_path / "keys"
    target.push(_signed(build(1, SITE_V1)))
    target.push(_signed(build(2, SITE_V1)), repair=True)
    assert SIGNATURE_NAME in keys(s3, bucket) and _verified(s3, bucket)

    target.push(build(3, SITE_V2), repair=True)  # no key could sign this render
    assert keys(s3, bucket) == {*SITE_V2, MANIFEST_NAME}
