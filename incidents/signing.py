"""Signed notices: every published text signed with Ed25519, verifiable by anyone.

What is signed is a notice's *canonical bytes* (docs/security.md, "Signed notices"): a
JSON object with sorted keys, no spaces, ASCII only (every other character as a \\u
escape), so any language's JSON library given the same fields makes the same bytes, and
the bytes themselves are published beside each signature (the notices index), so a
verifier needs no JSON at all. The object names the key that signs it ("key") and when
("signed_at", which must fall inside that key's validity period, and not before the
notice's "published_at": an update published before a key existed is signed later).

Private keys never enter the database: CANDOR_SIGNING_KEY (PEM, from the environment or a
secrets file), else a key file `<CANDOR_SIGNING_KEYS_DIR>/<key id>.pem` made by
`manage.py signing_key generate`. Outside production a dev key is made there on first use,
with a warning. Public keys are listed (SigningKey) with their validity: rotating closes
the current one, which stays listed so what it signed still verifies.

A new kind of notice (a postmortem, say) is signed by one call to `sign_notice` with its
own `kind`; the notices index, the Verify page and the checks here take it as it is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    IncidentUpdate,
    KeyPurpose,
    MaintenanceUpdate,
    Postmortem,
    SignedNotice,
    SigningKey,
)

log = logging.getLogger(__name__)

ALGORITHM = "Ed25519"
FORMAT_VERSION = 1
INCIDENT_UPDATE = "incident_update"
MAINTENANCE_UPDATE = "maintenance_update"
POSTMORTEM = "postmortem"
# A genuine notice received this long after it was published is an old one presented as
# new (a replay): the fan-out sends within minutes of publication.
REPLAY_WINDOW = timedelta(hours=48)
SIGNATURE_SUFFIX = ".sig"
# Crockford's base32: no I, L, O or U, so a code read aloud or retyped survives.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE = re.compile(r"\b([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{4})\b")
# What an unsaved draft's message carries where the code goes (send forecasts): as long.
CODE_PLACEHOLDER = "XXXX-XXXX"


class SigningUnavailable(Exception):
    """No private key: none configured, and no dev key may be made (production)."""


# -- keys ---------------------------------------------------------------------------------


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def private_pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(public_raw: bytes) -> str:
    public = Ed25519PublicKey.from_public_bytes(public_raw)
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _private_from_pem(pem: bytes) -> Ed25519PrivateKey:
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningUnavailable(f"the signing key cannot be read: {exc}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningUnavailable("the signing key is not an Ed25519 key")
    return private


def private_from_pem(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; SigningUnavailable if it is none."""
    return _private_from_pem(pem)


def key_register(private: Ed25519PrivateKey, *, now: datetime | None = None) -> SigningKey:
    """List a key's public half as the current one; the previous current key's validity
    ends now (rotation). Listing a key already listed changes nothing."""
    now = now or timezone.now()
    raw = _raw_public(private)
    key_id = key_id_of(raw)
    if (listed := SigningKey.objects.filter(key_id=key_id).first()) is not None:
        return listed  # the common case: one read, no lock
    with transaction.atomic():
        existing = SigningKey.objects.select_for_update().filter(key_id=key_id).first()
        if existing is not None:
            return existing
        SigningKey.objects.select_for_update().filter(
            valid_until__isnull=True, purpose=KeyPurpose.SITE
        ).update(valid_until=now)
        return SigningKey.objects.create(
            key_id=key_id, public_key=base64.b64encode(raw).decode(), valid_from=now
        )


def pem_new() -> bytes:
    """A new private key as PEM (PKCS#8), listed nowhere yet."""
    return private_pem(Ed25519PrivateKey.generate())


def key_generate(*, now: datetime | None = None) -> tuple[SigningKey, Ed25519PrivateKey]:
    """A new key, listed as the current one, its private half written to
    `<CANDOR_SIGNING_KEYS_DIR>/<key id>.pem` (mode 0600) first."""
    private = Ed25519PrivateKey.generate()
    directory = Path(settings.CANDOR_SIGNING_KEYS_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{key_id_of(_raw_public(private))}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem(private))
    return key_register(private, now=now), private


_loaded: dict[bytes | Path, Ed25519PrivateKey] = {}


def current_signer() -> tuple[SigningKey, Ed25519PrivateKey]:
    """The key that signs now, and its listed public half."""
    configured = settings.CANDOR_SIGNING_KEY
    if configured:
        pem = configured.encode()
        private = _loaded.get(pem) or _loaded.setdefault(pem, _private_from_pem(pem))
        # A key set in the environment is listed on first use: that is its rotation.
        key = key_register(private)
        if key.purpose != KeyPurpose.SITE:
            raise SigningUnavailable(f"CANDOR_SIGNING_KEY is key {key.key_id}, not a site key")
        if key.valid_until is not None:
            raise SigningUnavailable(f"CANDOR_SIGNING_KEY is key {key.key_id}, retired")
        return key, private
    current = SigningKey.objects.filter(valid_until__isnull=True, purpose=KeyPurpose.SITE).first()
    if current is None:
        if not settings.CANDOR_SIGNING_DEV_KEY:
            raise SigningUnavailable(
                "no signing key: set CANDOR_SIGNING_KEY or run `manage.py signing_key generate`"
            )
        current, _ = key_generate()
        warning = (
            f"\n*** Candor: made a DEVELOPMENT signing key {current.key_id} in "
            f"{settings.CANDOR_SIGNING_KEYS_DIR}. Notices are signed with it; in production "
            "set CANDOR_SIGNING_KEY or run `manage.py signing_key generate`. ***\n"
        )
        log.warning(warning.strip())
        print(warning, file=sys.stderr)
    path = Path(settings.CANDOR_SIGNING_KEYS_DIR) / f"{current.key_id}.pem"
    if path not in _loaded:
        try:
            _loaded[path] = _private_from_pem(path.read_bytes())
        except OSError as exc:
            raise SigningUnavailable(f"the current key's file cannot be read: {exc}") from exc
    private = _loaded[path]
    if key_id_of(_raw_public(private)) != current.key_id:
        raise SigningUnavailable(f"{path} does not hold key {current.key_id}")
    return current, private


def oob_key_issue(*, user: Any, now: datetime | None = None) -> tuple[SigningKey, bytes]:
    """A new out-of-band key for `user` (docs/security.md, "Out-of-band keys"): listed
    (its public half published in the keys document, apart from the site's keys), its
    private half returned once as PEM and kept nowhere here."""
    private = Ed25519PrivateKey.generate()
    raw = _raw_public(private)
    key = SigningKey.objects.create(
        key_id=key_id_of(raw),
        public_key=base64.b64encode(raw).decode(),
        valid_from=now or timezone.now(),
        purpose=KeyPurpose.OUT_OF_BAND,
        issued_to=user,
    )
    return key, private_pem(private)


def oob_key_revoke(key_id: str, *, now: datetime | None = None) -> int:
    """End an out-of-band key's validity: what it signs from now on is refused."""
    return SigningKey.objects.filter(
        key_id=key_id, purpose=KeyPurpose.OUT_OF_BAND, valid_until__isnull=True
    ).update(valid_until=now or timezone.now())


# -- canonical bytes and signing ----------------------------------------------------------


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes signed: sorted keys, no whitespace, ASCII only."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def utc_text(moment: datetime) -> str:
    """A time as signed: UTC, whole seconds, "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _code(signature: bytes) -> str:
    number = int.from_bytes(hashlib.sha256(signature).digest()[:5], "big")  # 40 bits
    chars = "".join(_CODE_ALPHABET[(number >> shift) & 31] for shift in range(35, -1, -5))
    return f"{chars[:4]}-{chars[4:]}"


def _content(
    kind: str,
    subject_id: str,
    notice_id: str,
    *,
    url: str,
    title: str,
    status: str,
    body: str,
    published_at: datetime,
) -> tuple[dict[str, Any], str]:
    """A notice's signed fields but the key and signing time, and their digest (a notice
    is signed again only when these change)."""
    content = {
        "v": FORMAT_VERSION,
        "kind": kind,
        "site": settings.CANDOR_CANONICAL_URL,
        "url": url,
        "subject": subject_id,
        "id": notice_id,
        "title": title,
        "status": status,
        "body": body,
        "published_at": utc_text(published_at),
    }
    return content, hashlib.sha256(canonical(content)).hexdigest()


def _signed(
    content: dict[str, Any],
    digest: str,
    published_at: datetime,
    signer: tuple[SigningKey, Ed25519PrivateKey],
) -> SignedNotice:
    key, private = signer
    now = timezone.now()
    payload = canonical({**content, "key": key.key_id, "signed_at": utc_text(now)})
    signature = private.sign(payload)
    return SignedNotice(
        kind=content["kind"],
        subject_id=content["subject"],
        notice_id=content["id"],
        code=_code(signature),
        key_id=key.key_id,
        payload=payload.decode(),
        signature=base64.b64encode(signature).decode(),
        content_sha256=digest,
        published_at=published_at,
        signed_at=now,
    )


def sign_notice(
    kind: str,
    subject_id: str,
    notice_id: str,
    *,
    url: str,
    title: str,
    status: str,
    body: str,
    published_at: datetime,
) -> SignedNotice:
    """The notice signed (once: the same words are not signed again). A new kind of
    notice (a postmortem) is signed by calling this with its own `kind`."""
    content, digest = _content(
        kind,
        subject_id,
        notice_id,
        url=url,
        title=title,
        status=status,
        body=body,
        published_at=published_at,
    )
    found = SignedNotice.objects.filter(kind=kind, notice_id=notice_id, content_sha256=digest)
    if (existing := found.first()) is not None:
        return existing
    notice = _signed(content, digest, published_at, current_signer())
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:  # signed meanwhile by another process
        return found.get()
    return notice


def _update_content(update: IncidentUpdate | MaintenanceUpdate) -> tuple[dict[str, Any], str]:
    if isinstance(update, IncidentUpdate):
        parent: Any = update.incident
        kind, view = INCIDENT_UPDATE, "public:incident"
    else:
        parent = update.maintenance
        kind, view = MAINTENANCE_UPDATE, "public:maintenance"
    return _content(
        kind,
        parent.public_id,
        update.public_id,
        url=settings.CANDOR_CANONICAL_URL + reverse(view, args=[parent.public_id]),
        title=parent.name,
        status=update.status,
        body=update.body,
        published_at=update.created_at,
    )


def _postmortem_content(postmortem: Postmortem) -> tuple[dict[str, Any], str]:
    """A published postmortem as it now reads; a revision published later is a new notice
    (its body and time differ), the earlier one stays verifiable as what it said."""
    incident = postmortem.incident
    published_at = postmortem.body_last_updated_at or postmortem.published_at
    assert published_at is not None
    page = settings.CANDOR_CANONICAL_URL + reverse("public:incident", args=[incident.public_id])
    return _content(
        POSTMORTEM,
        incident.public_id,
        postmortem.public_id,
        url=f"{page}#postmortem",
        title=incident.name,
        status=POSTMORTEM,
        body=postmortem.published_body,
        published_at=published_at,
    )


def update_signed(update: IncidentUpdate | MaintenanceUpdate) -> SignedNotice | None:
    """A published update's signed notice; None for an unsaved draft, or when no key can
    sign (logged: the message still goes, unsigned, rather than not at all)."""
    if update.pk is None:
        return None
    content, _ = _update_content(update)
    try:
        return sign_notice(
            content["kind"],
            content["subject"],
            content["id"],
            url=content["url"],
            title=content["title"],
            status=content["status"],
            body=content["body"],
            published_at=update.created_at,
        )
    except SigningUnavailable:
        log.error("notice %s went unsigned", update.public_id, exc_info=True)
        return None


def postmortem_signed(postmortem: Postmortem) -> SignedNotice | None:
    """A published postmortem's signed notice, as it now reads (the message telling
    subscribers of it carries its code); None when unpublished or no key can sign."""
    if postmortem.published_at is None:
        return None
    content, _ = _postmortem_content(postmortem)
    try:
        return sign_notice(
            POSTMORTEM,
            content["subject"],
            content["id"],
            url=content["url"],
            title=content["title"],
            status=content["status"],
            body=content["body"],
            published_at=postmortem.body_last_updated_at or postmortem.published_at,
        )
    except SigningUnavailable:
        log.error("postmortem %s went unsigned", postmortem.public_id, exc_info=True)
        return None


# What each update's notice digest was made of -> the digest (notices_sign_pending).
_digests: dict[tuple[Any, ...], str] = {}
_DIGESTS_KEPT = 200_000


def _digest_remember(key: tuple[Any, ...], digest: str) -> None:
    if len(_digests) >= _DIGESTS_KEPT:  # edited bodies leave stale keys: start again
        _digests.clear()
    _digests[key] = digest


_PLAIN_ID = re.compile(r"[A-Za-z0-9]+")
_SLOT = "candorsubjectslot"


class _PageUrls:
    """reverse(view, args=[subject]) for many subjects: reversed once, the id put in its
    place (a fresh process reversed 20,000 URLs, a second of its first publish). An id
    that is not plain letters and digits, which reverse would quote, is reversed."""

    def __init__(self, view: str) -> None:
        self.view = view
        self.head, slot, self.tail = reverse(view, args=[_SLOT]).partition(_SLOT)
        self.plain = bool(slot)  # the id is a part of the view's URL, as it is

    def __call__(self, subject: str) -> str:
        if self.plain and _PLAIN_ID.fullmatch(subject):
            return self.head + subject + self.tail
        return reverse(self.view, args=[subject])


class NoticesUnsigned(Exception):
    """Notices were pending and no key could sign them (logged): they stay pending."""


def notices_sign_pending(
    *, incidents: Collection[str] | None = None, maintenance: Collection[str] | None = None
) -> int:
    """Sign every published update and postmortem not signed as it now reads, in a few
    queries whatever their number (before a snapshot, whose render only reads). Returns
    how many; NoticesUnsigned if some were pending and none could be signed.

    `incidents` and `maintenance` (public ids, both given): only the updates and
    postmortems of these can have changed since every notice was last signed
    (publish/notices.py), so only theirs are read."""
    changed = (
        {"incident": incidents, "maintenance": maintenance}
        if incidents is not None and maintenance is not None
        else None
    )
    if changed is None:
        done = set(SignedNotice.objects.values_list("content_sha256", flat=True))
    else:  # the notices signed for those incidents and windows alone
        subjects = [*changed["incident"], *changed["maintenance"]]
        done = set(
            SignedNotice.objects.filter(subject_id__in=subjects).values_list(
                "content_sha256", flat=True
            )
        )
    pending = []
    for model, parent in ((IncidentUpdate, "incident"), (MaintenanceUpdate, "maintenance")):
        kind, view = (
            (INCIDENT_UPDATE, "public:incident")
            if model is IncidentUpdate
            else (MAINTENANCE_UPDATE, "public:maintenance")
        )
        # Plain values, not instances, and each row's digest remembered by what it is
        # made of: on a site of 20,000 updates this ran before every publish, and building
        # 20,000 instances, URLs and canonical documents cost seconds.
        values = model.objects.order_by("pk").values_list(
            f"{parent}__public_id", "public_id", f"{parent}__name", "status", "body", "created_at"
        )
        if changed is not None:
            values = values.filter(**{f"{parent}__public_id__in": sorted(changed[parent])})
        page_url = _PageUrls(view)
        for row in values.iterator(chunk_size=2000):
            key = (kind, settings.CANDOR_CANONICAL_URL, *row)
            digest = _digests.get(key)
            if digest is None or digest not in done:
                subject, notice, title, status, body, at = row
                content, digest = _content(
                    kind,
                    subject,
                    notice,
                    url=settings.CANDOR_CANONICAL_URL + page_url(subject),
                    title=title,
                    status=status,
                    body=body,
                    published_at=at,
                )
                _digest_remember(key, digest)
                if digest not in done:
                    pending.append((content, digest, at))
    published = Postmortem.objects.filter(published_at__isnull=False).select_related("incident")
    if changed is not None:
        published = published.filter(incident__public_id__in=sorted(changed["incident"]))
    for postmortem in published.order_by("pk").iterator(chunk_size=1000):
        content, digest = _postmortem_content(postmortem)
        if digest not in done:
            pending.append(
                (content, digest, postmortem.body_last_updated_at or postmortem.published_at)
            )
    if not pending:
        return 0
    try:
        signer = current_signer()
    except SigningUnavailable as exc:
        log.error("%d notices went unsigned", len(pending), exc_info=True)
        raise NoticesUnsigned(f"{len(pending)} notices went unsigned: {exc}") from exc
    rows = [_signed(content, digest, at, signer) for content, digest, at in pending]
    # A row signed meanwhile by a fan-out is skipped, not an error.
    SignedNotice.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def bytes_sign(data: bytes) -> bytes:
    """The signature file (as file_sign writes one) of `data`, by the current site key;
    SigningUnavailable when none can sign."""
    key, private = current_signer()
    return canonical(
        {
            "algorithm": ALGORITHM,
            "key": key.key_id,
            "signature": base64.b64encode(private.sign(data)).decode(),
        }
    )


def file_sign(path: Path) -> None:
    """Sign a file's bytes as they are (a snapshot's manifest), into `<path>.sig`."""
    try:
        key, private = current_signer()
    except SigningUnavailable:
        log.error("%s went unsigned", path, exc_info=True)
        return
    signature = private.sign(path.read_bytes())
    document = {
        "algorithm": ALGORITHM,
        "key": key.key_id,
        "signature": base64.b64encode(signature).decode(),
    }
    path.with_name(path.name + SIGNATURE_SUFFIX).write_bytes(canonical(document))


# -- published documents ------------------------------------------------------------------


def keys_document() -> dict[str, Any]:
    """/.well-known/candor-keys.json: every key ever used, with its validity."""
    return {
        "algorithm": ALGORITHM,
        "site": settings.CANDOR_CANONICAL_URL,
        "keys": [
            {
                "id": key.key_id,
                "public_key": key.public_key,
                "public_key_pem": public_pem(base64.b64decode(key.public_key)),
                "valid_from": utc_text(key.valid_from),
                "valid_until": utc_text(key.valid_until) if key.valid_until else None,
            }
            for key in SigningKey.objects.filter(purpose=KeyPurpose.SITE).order_by(
                "valid_from", "pk"
            )
        ],
        # Apart, so no verifier of notices takes them for the site's: they sign only
        # updates posted with the out-of-band CLI (publish/oob_format.py).
        "out_of_band_keys": [
            {
                "id": key.key_id,
                "public_key": key.public_key,
                "valid_from": utc_text(key.valid_from),
                "valid_until": utc_text(key.valid_until) if key.valid_until else None,
            }
            for key in SigningKey.objects.filter(purpose=KeyPurpose.OUT_OF_BAND).order_by(
                "valid_from", "pk"
            )
        ],
    }


# The notices are published in shards by the first characters of their code (uniform:
# a hash), so a verifier fetches the small index and one shard, not every notice the
# site ever signed (~6 MB at 10,000 notices). 32 ** 2 = 1,024 shards at most: the index
# stays under ~10 KB whatever the site's age, and a shard holds a 1,024th of the notices
# (~10 at 10,000). The index names the length, so a verifier follows a change of it.
SHARD_CHARS = 2
SHARD = re.compile(rf"[{_CODE_ALPHABET}]{{{SHARD_CHARS}}}")
# Where a shard is, relative to the index (/verify/notices.json -> /verify/notices/AB.json).
SHARD_PATH = "notices/{prefix}.json"


def shard_of(code: str) -> str:
    return code[:SHARD_CHARS]


def _visible(hidden: frozenset[str]) -> QuerySet[SignedNotice]:
    """The notices but those about a subject or update in `hidden` (public ids: what the
    reader may not read, audiences/visibility.py): not even their count is published."""
    notices = SignedNotice.objects.all()
    if hidden:
        notices = notices.exclude(subject_id__in=hidden).exclude(notice_id__in=hidden)
    return notices


def shard_counts(*, hidden: frozenset[str] = frozenset()) -> dict[str, int]:
    """Each non-empty shard's prefix and how many notices it holds."""
    rows = (
        _visible(hidden)
        .annotate(prefix=Substr("code", 1, SHARD_CHARS))
        .values("prefix")
        .annotate(n=Count("pk"))
        .order_by("prefix")
        .values_list("prefix", "n")
    )
    return {str(prefix): int(n) for prefix, n in rows}


def shards_signed_since(moment: datetime) -> set[str]:
    """The shards that gained a notice signed at or after `moment` (what a publish that
    reuses an earlier render must render afresh)."""
    codes = SignedNotice.objects.filter(signed_at__gte=moment).values_list("code", flat=True)
    return {shard_of(code) for code in codes}


def notices_document(*, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """/verify/notices.json: the index of the shards (`SHARD_CHARS`), of the notices a
    reader may read (not those about anything in `hidden`)."""
    counts = shard_counts(hidden=hidden)
    return {
        "v": 2,
        "count": sum(counts.values()),
        "prefix_length": SHARD_CHARS,
        "shard": SHARD_PATH,
        "shards": counts,
    }


_Row = tuple[str, str, str, str, str]  # code, payload, signature, subject_id, notice_id
# Every notice by shard, while a full snapshot renders all the shards (`notices_preloaded`).
_preloaded: ContextVar[dict[str, list[_Row]] | None] = ContextVar("notices", default=None)


def _rows(notices: Any) -> list[_Row]:
    return list(
        notices.order_by("published_at", "pk").values_list(
            "code", "payload", "signature", "subject_id", "notice_id"
        )
    )


@contextmanager
def notices_preloaded() -> Iterator[None]:
    """Every notice read in one query for the shards rendered inside: a full snapshot
    renders every shard, and a query each would grow with the site."""
    by_shard: dict[str, list[_Row]] = {}
    for row in _rows(SignedNotice.objects.all()):
        by_shard.setdefault(shard_of(row[0]), []).append(row)
    token = _preloaded.set(by_shard)
    try:
        yield
    finally:
        _preloaded.reset(token)


def notices_shard_document(prefix: str, *, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """/verify/notices/<prefix>.json: each signed notice whose code starts with `prefix`,
    with its canonical bytes and signature, but those about anything in `hidden`."""
    preloaded = _preloaded.get()
    rows = (
        preloaded.get(prefix, [])
        if preloaded is not None
        else _rows(SignedNotice.objects.filter(code__startswith=prefix))
    )
    return {
        "prefix": prefix,
        "notices": [
            {"code": code, "payload": payload, "signature": signature}
            for code, payload, signature, subject_id, notice_id in rows
            if subject_id not in hidden and notice_id not in hidden
        ],
    }


# -- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    genuine: bool
    reason: str  # why not, or "" when genuine
    notice: dict[str, Any] | None = None  # the signed fields, when the signature holds


def parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def verify(payload: bytes, signature: bytes, *, received_at: datetime | None = None) -> Verdict:
    """Whether `payload` is a notice of ours as signed: canonical bytes, a listed key,
    a matching signature, published while that key was valid and, given when it was
    received, not an old notice presented as new."""
    try:
        data = json.loads(payload)
    except ValueError:
        return Verdict(False, "not a notice: the signed bytes are not JSON")
    if not isinstance(data, dict) or canonical(data) != payload:
        return Verdict(False, "not a notice: the signed bytes are not in canonical form")
    key = SigningKey.objects.filter(
        key_id=str(data.get("key", "")), purpose=KeyPurpose.SITE
    ).first()
    if key is None:
        return Verdict(False, "signed with a key that is not ours")
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))
        public.verify(signature, payload)
    except (InvalidSignature, ValueError):
        return Verdict(False, "the signature does not match: altered, or not signed by us")
    published_at = parse_time(data.get("published_at"))
    signed_at = parse_time(data.get("signed_at"))
    if published_at is None or signed_at is None or signed_at < published_at:
        return Verdict(False, "the notice has no valid publication or signing time")
    ends = key.valid_until
    if signed_at < key.valid_from.replace(microsecond=0) or (ends and signed_at > ends):
        return Verdict(False, "signed outside its key's validity period")
    if received_at is not None and received_at - published_at > REPLAY_WINDOW:
        return Verdict(
            False,
            f"an old notice presented as new: published {utc_text(published_at)}",
            data,
        )
    return Verdict(True, "", data)


def normalise_words(text: str) -> str:
    """Words as compared with a pasted message: accents, case and punctuation dropped
    (an SMS loses accents and curly quotes; mail clients re-wrap lines). verify.js does
    the same."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).strip()


# The start of the words an SMS cut to fit still carries whole.
_SMS_CUT_PREFIX = 30
# Pasted text this short beside the code ("Verify this notice:") is a code, not a message.
_JUST_A_CODE = 40


def verify_message(text: str, *, received_at: datetime | None = None) -> Verdict:
    """A pasted message, link or code: its code found, its notice verified, and, when more
    than a code or a link was pasted, its words compared with what was signed."""
    match = CODE.search(text.upper())
    if match is None:
        return Verdict(False, "no verification code found: not a notice of ours")
    notice = SignedNotice.objects.filter(code=match.group(0)).first()
    if notice is None:
        return Verdict(False, "unknown verification code: not a notice of ours")
    verdict = verify(
        notice.payload.encode(), base64.b64decode(notice.signature), received_at=received_at
    )
    if not verdict.genuine or verdict.notice is None:
        return verdict
    pasted = normalise_words(re.sub(r"https?://\S+", " ", text).replace(match.group(0), " "))
    signed = normalise_words(str(verdict.notice["body"]))
    if len(pasted) > _JUST_A_CODE and not words_match(pasted, signed, cut="..." in text):
        return Verdict(False, "the words differ from the notice we published", verdict.notice)
    return verdict


def words_match(pasted: str, signed: str, *, cut: bool) -> bool:
    """The signed words are in the pasted message whole, or, in a message cut to fit an
    SMS ("..."), their start is."""
    if signed in pasted:
        return True
    return cut and len(signed) > _SMS_CUT_PREFIX and signed[:_SMS_CUT_PREFIX] in pasted
