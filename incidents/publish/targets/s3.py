"""Publishing to an S3-compatible bucket: AWS S3, Cloudflare R2, MinIO, Backblaze B2, ...

Every key under the prefix belongs to Candor. A push deletes the keys the served manifest
named and the new one does not; a repair (`publish --force`), or a push that finds no
manifest to compare with, lists the prefix and deletes every key the manifest does not
name, including ones nobody else should have put there. (Listing costs one request per
1,000 keys: 2.5 s of a 9 s publish at 10,000 incidents on moto, so not on every push.)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from incidents.public.cache_control import public_header
from incidents.publish.manifest import MANIFEST_NAME, FileEntry, Manifest, Snapshot, sha256_of
from incidents.publish.targets.base import STAMP_PATH, TargetError

# The manifest's signature (incidents/signing.py), beside it as on the local mirror.
SIGNATURE_NAME = MANIFEST_NAME + ".sig"

# Django's ManifestStaticFilesStorage puts 12 hex digits of the content's hash in the name
# ("static/candor/public.3f2a9c1b7d4e.css"), so such a file can never change and browsers
# may keep it for good. Unhashed copies (whitenoise keeps the originals) get the short
# lifetime, as pages do.
_CONTENT_HASHED = re.compile(r"^static/.*\.[0-9a-f]{12}\.[^/]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_NOT_MODIFIED_CODES = {"304", "NotModified"}

# Per bucket manifest key (endpoint, bucket, key): the manifest this process last wrote
# or read there, with its ETag. A push asks for it again only if it changed since
# (If-None-Match): not 10 MB downloaded and parsed before every publish at 10,000
# incidents. Anyone else's write there (another worker, the out-of-band CLI) changes
# the ETag, and it is read whole.
_known: dict[tuple[str, str, str], tuple[str, Manifest]] = {}
_known_lock = threading.Lock()
# Clients by their configuration: a boto3 client is safe to share across threads, and
# making one (its endpoint rules, its connection pool) cost 50 ms of every publish.
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()

T = TypeVar("T")


class S3Target:
    """A bucket (and optional key prefix) served as the public site.

    verify() trusts the sha256 recorded in each object's metadata at upload
    (x-amz-meta-sha256) and the size the store reports, so it costs one HEAD per file
    instead of a download. It catches objects that are missing, truncated or replaced by
    anything but a writer that copies our metadata.
    """

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
        prefix: str = "",
        addressing: str = "path",
        cache_control: str = "public, max-age=10",
        workers: int = 8,
        connect_timeout: float = 5,
        read_timeout: float = 20,
    ) -> None:
        self.name = f"s3:{bucket}"
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.short_cache = cache_control
        self.workers = max(1, workers)
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=self.workers,
            s3={"addressing_style": addressing},
            # Since boto3 1.36 every upload carries a CRC32 checksum (in an aws-chunked
            # trailer for streams) that several S3-compatible stores refuse; checksums
            # only where the API requires them works everywhere.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        made: tuple[object, ...] = (endpoint_url, region, access_key_id, secret_access_key)
        made += (addressing, self.workers, connect_timeout, read_timeout)
        with _clients_lock:
            client = _clients.get(made)
            if client is None:
                # A session of our own: boto3's default session is not safe to share
                # across threads, while a client made from it is.
                client = _clients[made] = boto3.session.Session().client(
                    "s3",
                    endpoint_url=endpoint_url or None,
                    region_name=region or None,
                    # Empty credentials fall back to boto3's own chain (AWS_* variables,
                    # an instance or task role).
                    aws_access_key_id=access_key_id or None,
                    aws_secret_access_key=secret_access_key or None,
                    config=config,
                )
        self.client: Any = client

    @classmethod
    def from_settings(cls) -> S3Target:
        return cls(
            bucket=settings.CANDOR_S3_BUCKET,
            endpoint_url=settings.CANDOR_S3_ENDPOINT_URL,
            region=settings.CANDOR_S3_REGION,
            access_key_id=settings.CANDOR_S3_ACCESS_KEY_ID,
            secret_access_key=settings.CANDOR_S3_SECRET_ACCESS_KEY,
            prefix=settings.CANDOR_S3_PREFIX,
            addressing=settings.CANDOR_S3_ADDRESSING,
            cache_control=public_header(),
        )

    def push(self, snapshot: Snapshot, *, repair: bool = False) -> None:
        manifest = snapshot.manifest
        remote = self.current()
        if remote is not None and manifest.version < remote.version:
            raise TargetError(
                f"{self.name} serves version {remote.version}; "
                f"refusing to replace it with older version {manifest.version}"
            )
        served = remote.files if remote is not None and not repair else {}
        changed = [path for path, entry in manifest.files.items() if served.get(path) != entry]

        def upload(path: str) -> None:
            entry = manifest.files[path]
            self._put(path, snapshot.read(path), entry, self._cache_control(path))

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for group in upload_order(changed):
                _run_all(pool, upload, group)
            # The switch: from here on readers follow the new manifest, whose files are
            # all in place.
            body = manifest.to_json()
            written = self._put(
                MANIFEST_NAME,
                body,
                FileEntry(sha256_of(body), len(body), "application/json"),
                self.short_cache,
            )
            self._remember((written or {}).get("ETag"), manifest)
            # Right after its manifest: S3 has no atomic pair of writes, so a verifier that
            # reads between the two sees the old signature beside the new manifest, fails,
            # and reads again.
            signed = self._signature_push(snapshot)
            if remote is None or repair:
                stale = self._stale_keys(manifest, signed=signed)
            else:
                stale = [self._key(p) for p in remote.files if p not in manifest.files]
            _run_all(pool, self._delete, stale)

    def current(self) -> Manifest | None:
        with _known_lock:
            known = _known.get(self._manifest_place())
        unless = {"IfNoneMatch": known[0]} if known else {}
        with self._errors("read", MANIFEST_NAME):
            try:
                response = self.client.get_object(
                    Bucket=self.bucket, Key=self._key(MANIFEST_NAME), **unless
                )
                raw = response["Body"].read()
            except ClientError as exc:
                if known and _is_not_modified(exc):
                    return known[1]
                if _is_missing(exc):
                    self._remember(None, None)
                    return None
                raise
        try:
            manifest = Manifest.from_json(raw)
        except (ValueError, KeyError, TypeError) as exc:
            raise TargetError(
                f"{self.name}: {MANIFEST_NAME} is not a valid manifest: {exc!r}"
            ) from exc
        self._remember(response.get("ETag"), manifest)
        return manifest

    def warm(self) -> None:
        self.current()  # kept with its ETag: the first push asks only whether it changed

    def _manifest_place(self) -> tuple[str, str, str]:
        return (self.client.meta.endpoint_url, self.bucket, self._key(MANIFEST_NAME))

    def _remember(self, etag: str | None, manifest: Manifest | None) -> None:
        with _known_lock:
            if etag and manifest is not None:
                _known[self._manifest_place()] = (etag, manifest)
            else:  # nothing to compare with: read it whole next time
                _known.pop(self._manifest_place(), None)

    def verify(self) -> list[str]:
        manifest = self.current()
        if manifest is None:
            return [f"{self.name} has no {MANIFEST_NAME}: nothing has been published"]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            found = _run_all(
                pool, lambda path: self._check(path, manifest.files[path]), list(manifest.files)
            )
        return sorted(problem for problem in found if problem)

    def _check(self, path: str, entry: FileEntry) -> str | None:
        with self._errors("check", path):
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(path))
            except ClientError as exc:
                if _is_missing(exc):
                    return f"{path}: missing"
                raise
        recorded = head.get("Metadata", {}).get("sha256")
        if head["ContentLength"] != entry.size:
            return f"{path}: {head['ContentLength']} bytes, the manifest says {entry.size}"
        if recorded != entry.sha256:
            return f"{path}: sha256 {recorded or 'not recorded'}, the manifest says {entry.sha256}"
        if head.get("ContentType") != entry.content_type:
            return f"{path}: served as {head.get('ContentType')}, not {entry.content_type}"
        return None

    def _put(self, path: str, body: bytes, entry: FileEntry, cache_control: str) -> Any:
        with self._errors("upload", path):
            return self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(path),
                Body=body,
                ContentType=entry.content_type,
                CacheControl=cache_control,
                Metadata={"sha256": entry.sha256},
            )

    def _signature_push(self, snapshot: Snapshot) -> bool:
        """Upload the render's manifest signature; False when it made none (no key could
        sign, logged by signing.file_sign). An older signature left beside an unsigned
        manifest then fails to verify, which is what it should say; a repair removes it."""
        signature = snapshot.root / SIGNATURE_NAME
        if not signature.exists():
            return False
        body = signature.read_bytes()
        entry = FileEntry(sha256_of(body), len(body), "application/json")
        self._put(SIGNATURE_NAME, body, entry, self.short_cache)
        return True

    def stamp(self, path: str, body: bytes) -> None:
        with self._errors("upload", path):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(path),
                Body=body,
                ContentType="application/json",
                CacheControl=self.short_cache,
            )

    def _stale_keys(self, manifest: Manifest, *, signed: bool) -> list[str]:
        # The checker's stamp is no file of a version: a push keeps it.
        keep = {self._key(path) for path in [*manifest.files, MANIFEST_NAME, STAMP_PATH]}
        if signed:
            keep.add(self._key(SIGNATURE_NAME))
        stale = []
        with self._errors("list", self.prefix or "the bucket"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                stale += [o["Key"] for o in page.get("Contents", []) if o["Key"] not in keep]
        return stale

    def _delete(self, key: str) -> None:
        # One DeleteObject per key rather than DeleteObjects: since boto3 1.36 the batch
        # call no longer carries the Content-MD5 that MinIO, Ceph and others still demand,
        # and a push leaves only a handful of stale keys.
        with self._errors("delete", key.removeprefix(self.prefix)):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def _cache_control(self, path: str) -> str:
        return IMMUTABLE if _CONTENT_HASHED.match(path) else self.short_cache

    def _key(self, path: str) -> str:
        return self.prefix + path

    @contextmanager
    def _errors(self, action: str, path: str) -> Iterator[None]:
        """Turn any boto3/botocore failure into a TargetError staff can read.

        botocore's messages name the operation, the endpoint and the error code, never
        the credentials.
        """
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            detail = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
            raise TargetError(f"{self.name}: {action} {path} failed: {detail}") from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise TargetError(f"{self.name}: {action} {path} failed: {exc}") from exc


def upload_order(paths: Sequence[str]) -> list[list[str]]:
    """Groups of paths to upload one after the other, each group in parallel.

    Static files first, since every page refers to them; then pages from the deepest up,
    so the root index.html, which links down to everything, goes up last.
    """
    static = [p for p in paths if p.startswith("static/")]
    by_depth: dict[int, list[str]] = {}
    for path in paths:
        if not path.startswith("static/"):
            by_depth.setdefault(path.count("/"), []).append(path)
    groups = [static] + [by_depth[depth] for depth in sorted(by_depth, reverse=True)]
    return [sorted(group) for group in groups if group]


def _run_all(pool: ThreadPoolExecutor, work: Callable[[str], T], items: list[str]) -> list[T]:
    """`work` on every item, in parallel; on the first failure, cancel the rest and raise.

    Without the cancel, a store that is down would cost every remaining file its full
    timeouts and retries before the push reports the failure.
    """
    futures = [pool.submit(work, item) for item in items]
    wait(futures, return_when=FIRST_EXCEPTION)
    for future in futures:
        future.cancel()
    return [future.result() for future in futures]


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING_CODES


def _is_not_modified(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _NOT_MODIFIED_CODES
